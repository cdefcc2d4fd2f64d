"""Registers the smoke harness plugin for every pytest run in this repository.

`pytest` here runs the harness's own tests (tests/) and the contract suites against the
embedded stack; pointed at a target (--target-url, --hermetic, --compose-file) it runs the
contract suites only: the harness's own tests are deselected.
"""

from pathlib import Path

import pytest

pytest_plugins = ["harness.plugin"]
OWN_TESTS = Path(__file__).parent / "tests"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(config.getoption(name) for name in ("target_url", "hermetic", "compose_file")):
        return
    own = [item for item in items if OWN_TESTS in Path(item.path).parents]
    if own:
        config.hook.pytest_deselected(items=own)
        items[:] = [item for item in items if item not in own]
