"""Hostile targets for the harness's own tests: one small server, a misbehaviour per port.

`tests.hostile.server.start(mode)` serves a minimal healthy gateway of the default contract
that misbehaves in exactly one way (`MODES`); `expectations.EXPECTED` says what a harness run
against each mode must conclude.
"""
