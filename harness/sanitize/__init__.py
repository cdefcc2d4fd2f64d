"""Sanitising what leaves the harness: secrets masked in every encoding, target text escaped.

Everything a target sent and everything the harness writes (terminal, reports, attachments)
passes through here.

May import: nothing else of the harness.
"""
