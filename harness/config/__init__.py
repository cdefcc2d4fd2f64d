"""Configuration: every option declared once, resolved once into a RunConfig.

Owns the option table (`options`: read by the pytest plugin's `pytest_addoption` and by the
CLI's parser alike) and the resolution CLI/pytest option > environment variable > contract
(`resolve`). Resolving sends nothing (the target `ngrok` is asked for its URL where stacks
start).

May import: _bundled, contract, sanitize.
"""

from harness.config.resolve import ConfigError, Credentials, RunConfig, resolve

__all__ = ["ConfigError", "Credentials", "RunConfig", "resolve"]
