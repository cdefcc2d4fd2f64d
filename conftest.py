"""Registers the smoke harness plugin for every pytest run in this repository."""

pytest_plugins = ["harness.plugin"]
