"""The process around a run: how signals end it (`signals`). Imports nothing else from the
harness; every stage that must not be cut in half (a container start, a teardown) uses it."""
