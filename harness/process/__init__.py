"""The process around a run: how signals end it (`signals`). Every stage that must not be cut
in half (a container start, a teardown) uses it.

May import: nothing else of the harness.
"""
