"""`python -m harness ... --junitxml/--alluredir/-- ARGS`: the same run, through pytest.

The CLI hands pytest the configuration it already resolved (as the plugin object
`smoke-cli`), so nothing is resolved twice; pytest's own output is off and the harness's
summary is the only one printed.

May import: _bundled, config, plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness._bundled import SUITES_DIR
from harness.config import RunConfig


class HandOver:
    """The CLI's resolved configuration, for the plugin in this process: registered under the
    name `smoke-cli` (pluggy names a plugin object by its `__name__`)."""

    def __init__(self, run_config: RunConfig, verbose: bool, planned: Any = None) -> None:
        from harness.plugin import HANDOVER

        self.__name__ = HANDOVER
        self.run_config = run_config
        self.planned = planned
        self.verbose = verbose
        self.state: Any = None


def pytest_args(config: RunConfig, values: dict[str, Any], passthrough: Sequence[str]) -> list[str]:
    paths = [str(SUITES_DIR / name) for name in config.suites]
    args = [*paths, "-p", "harness.plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:terminal", "--assert=plain", "-o", "addopts=",
            f"--rootdir={SUITES_DIR.parent}"]
    args += ["-p", "no:xdist"]
    if not values.get("alluredir") and not any(a.startswith("--alluredir") for a in passthrough):
        args += ["-p", "no:allure_pytest"]
    for name in ("junitxml", "alluredir"):
        if values.get(name):
            args.append(f"--{name}={values[name]}")
    return [*args, *passthrough]


def run_through_pytest(config: RunConfig, values: dict[str, Any],
                       passthrough: Sequence[str], planned: Any = None) -> int:
    import pytest

    handed = HandOver(config, bool(values.get("verbose")), planned)
    code = int(pytest.main(pytest_args(config, values, passthrough), plugins=[handed]))
    state = handed.state
    if state is None or state.result is None:
        return 2 if code not in (0, 1) else code
    return int(state.exit_code())
