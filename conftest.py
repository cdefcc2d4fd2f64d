"""Registers the smoke harness plugin for every pytest run in this repository.

`pytest` here runs the harness's own tests (tests/) and the contract suites against the
embedded stack; pointed at a target (--target-url, --hermetic, --compose-file) it runs the
contract suites only.
"""

from pathlib import Path

import pytest

pytest_plugins = ["harness.plugin"]
OWN_TESTS = Path(__file__).parent / "tests"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    targeted = any(config.getoption(name) for name in ("target_url", "hermetic",
                                                        "compose_file"))
    if targeted and collection_path == OWN_TESTS:
        return True
    return None
