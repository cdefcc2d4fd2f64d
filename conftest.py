"""Registers the smoke harness plugin for every pytest run in this repository.

`pytest` here runs the harness's own tests (tests/) and the contract suites against the
embedded stack; pointed at a target (--target-url, --hermetic, --compose-file) it runs the
contract suites only: the harness's own tests are not even collected (they need the test
extras, which a user who only installed the harness does not have).
"""

from pathlib import Path

import pytest

pytest_plugins = ["harness.plugin"]
OWN_TESTS = Path(__file__).parent / "tests"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With a target, the harness's own tests are left out (None: pytest decides as usual)."""
    targeted = any(config.getoption(name) for name in ("target_url", "hermetic", "compose_file"))
    if targeted and (collection_path == OWN_TESTS or OWN_TESTS in collection_path.parents):
        return True
    return None
