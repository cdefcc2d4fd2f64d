"""The pytest plugin: options, the run's checks as parametrized tests, cause-aware reports.

The run is planned once, in `pytest_sessionstart`; its checks are the cases pytest collects.
The engine judges every check once: after collection (the selected checks), or, under xdist,
in the controller before the workers start, which get the judged cases through `workerinput`.
`--collect-only` plans and sends nothing. A suite test only shows its check's outcome: passed,
failed with its finding, skipped when blocked or not tested, xfailed for a known issue.
Options come from harness.config.options, declared once; the CLI hands its resolved
configuration over as the plugin named `smoke-cli`.

May import: config, contract, history, pytest_state, reports.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from xdist import is_xdist_worker

from harness.config import ConfigError, resolve
from harness.config.options import OPTIONS, flags_for_pytest
from harness.contract import ContractError
from harness.history import HistoryError
from harness.pytest_state import WORKER_KEY, CheckCase, SmokeState
from harness.reports.allure import AllureOutput
from harness.reports.history import check_history
from harness.reports.outputs import check_outputs
from harness.reports.terminal import terminal_width

HANDOVER = "smoke-cli"
RUN_TEST = "smoke-harness::run"

STATE = pytest.StashKey[SmokeState]()
MARKERS = ("writes: creates data on the target (not sent with --read-only)",
           "suite(name): the contract suite a check belongs to",
           "docker: needs a Docker engine")


class ContractFailure(AssertionError):
    """A check's contract did not hold: the message is the redacted finding."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smoke", "smoke harness (target, contract, plan, reports)")
    for option in OPTIONS:
        group.addoption(*flags_for_pytest(option), **option.kwargs())


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Resolve and plan once, in the controller; a worker takes the controller's judged cases.

    Under xdist the controller judges every planned check here, before xdist starts the
    workers (its own sessionstart runs last) and hands them the outcomes.
    """
    config = session.config
    if is_xdist_worker(session):
        config.stash[STATE] = SmokeState.from_worker(config.workerinput[WORKER_KEY])  # type: ignore[attr-defined]
        _silence_allure_pytest(config)
        return
    handed = config.pluginmanager.get_plugin(HANDOVER)
    try:
        run_config = handed.run_config if handed is not None else resolve(
            {option.dest: config.getoption(option.dest) for option in OPTIONS})
        check_history(run_config)
        check_outputs(run_config, {"junitxml": config.getoption("xmlpath", None),
                                   "alluredir": _allure_dir(config)})
        state = SmokeState.planning(run_config, verbose=handed is not None and handed.verbose,
                                    planned=handed.planned if handed is not None else None)
    except (ConfigError, ContractError, HistoryError) as exc:
        pytest.exit(f"smoke-harness configuration error: {exc}", returncode=2)
    config.stash[STATE] = state
    if handed is not None:
        handed.state = state
    _silence_allure_pytest(config)
    if _distributing(config):
        state.execute(None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Suite tests take `smoke_check`: one case per planned check of their family."""
    if "smoke_check" not in metafunc.fixturenames:
        return
    state = metafunc.config.stash[STATE]
    name = metafunc.function.__name__
    module = metafunc.module.__name__.split(".")  # an installed copy's: harness._bundled.suites
    module = module[module.index("suites"):] if "suites" in module else module
    shown_by = f"{'/'.join(module)}.py::{name}"
    cases = [case for case in state.cases if case.shown_by == shown_by]
    metafunc.parametrize("smoke_check", [
        pytest.param(case, id=case.id, marks=[pytest.mark.writes] if case.writes else [])
        for case in cases], indirect=True)


class RunNotJudged(Exception):
    """The run could not judge the contract (error or inconclusive): the message says why."""


class RunItem(pytest.Item):
    """`smoke-harness::run`: the run itself as a test, so CI sees red when the run is an
    error or inconclusive (every check then skipped): a test error naming the cause."""

    def setup(self) -> None:
        why = self.config.stash[STATE].unjudged()
        if why:
            raise RunNotJudged(why)

    def runtest(self) -> None:
        return None

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, RUN_TEST


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """A suite test with no planned check (e.g. --thorough only) is deselected, not skipped;
    `smoke-harness::run` is added last (after -k and -m, so it always shows)."""
    unplanned = [item for item in items if "smoke_check" in getattr(item, "fixturenames", ())
                 and not isinstance(getattr(getattr(item, "callspec", None), "params", {})
                                    .get("smoke_check"), CheckCase)]
    if unplanned:
        config.hook.pytest_deselected(items=unplanned)
        items[:] = [item for item in items if item not in unplanned]
    if any("smoke_check" in getattr(item, "fixturenames", ()) for item in items):
        items.append(RunItem.from_parent(session, name="run", nodeid=RUN_TEST))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Without xdist, judge exactly the selected checks (and what they depend on) now;
    `--collect-only` sends nothing."""
    state = session.config.stash[STATE]
    if is_xdist_worker(session) or _distributing(session.config) or \
            session.config.option.collectonly:
        return
    selected = [item.callspec.params["smoke_check"].key for item in session.items
                if hasattr(item, "callspec") and "smoke_check" in item.callspec.params]
    if selected:
        state.execute(selected)


def _distributing(config: pytest.Config) -> bool:
    """This process is xdist's controller: it will start workers (not with --collect-only,
    -n 0 or -p no:xdist)."""
    return config.pluginmanager.has_plugin("dsession")


def _allure_dir(config: pytest.Config) -> str | None:
    """allure-pytest's --alluredir, when that plugin writes results in this run."""
    return getattr(config.option, "allure_report_dir", None) or None


def _silence_allure_pytest(config: pytest.Config) -> None:
    """The harness writes the Allure results of its checks itself, from the report document
    (real times, steps, categories): allure-pytest's own listener would record the checks
    again as 0 ms tests, so it is switched off for a smoke session."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    if listener is not None:
        config.pluginmanager.unregister(listener)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[WORKER_KEY] = node.config.stash[STATE].for_workers()


@pytest.fixture
def smoke_check(request: pytest.FixtureRequest) -> CheckCase:
    """The check this test shows, with its judged outcome."""
    return request.config.stash[STATE].judged(request.param)


def verify(case: CheckCase) -> None:
    """Show the check's outcome as a test outcome."""
    if case.outcome == "passed":
        return
    if case.outcome == "known-issue":
        pytest.xfail(f"known issue: {case.message}")
    if case.outcome in ("blocked", "not-tested"):
        pytest.skip(case.message)
    if case.outcome == "failed":
        raise ContractFailure(case.rendered)
    pytest.fail(f"the harness did not judge this check ({case.outcome}): {case.message}",
                pytrace=False)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Failed checks show their finding (already redacted), not a Python traceback; an
    unjudged run shows why; a check's JUnit properties are its cause, severity, latency and
    budget."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if isinstance(item, RunItem) and call.excinfo is not None and \
            isinstance(call.excinfo.value, RunNotJudged):
        report.longrepr = str(call.excinfo.value)
        return
    case = getattr(item, "callspec", None) and item.callspec.params.get("smoke_check")
    if not isinstance(case, CheckCase):
        return
    # JUnit's `time` is the check's own probe latency, not the time pytest took to show it
    report.duration = (case.latency_ms or 0) / 1000 if report.when == "call" else 0.0
    if report.when != "call":
        return
    # junitxml writes a testcase's <properties> from its teardown report, made from these
    item.user_properties.append(("smoke-check", case.key))
    for name, value in (("cause", case.cause), ("severity", case.severity),
                        ("latency_ms", case.latency_ms), ("budget_ms", case.budget_ms)):
        if value is not None:
            item.user_properties.append((name, value))
    if report.failed and case.rendered:
        report.longrepr = case.rendered


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    state = terminalreporter.config.stash.get(STATE, None)
    if state is None or state.result is None:
        return
    terminalreporter.write_sep("=", "smoke verdict")
    for line in state.summary(colour=terminalreporter.hasmarkup,
                              width=terminal_width(sys.stdout)).splitlines():
        terminalreporter.write_line(line)
    state.printed = True


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None or is_xdist_worker(session) or state.result is None:
        return
    allure_dir = _allure_dir(session.config)
    state.write_reports(AllureOutput(allure_dir, state.run_config.allure_history)
                        if allure_dir and state.run_config is not None else None)
    if session.config.pluginmanager.get_plugin("terminalreporter") is None:
        print(state.summary(colour=False), flush=True)
        state.printed = True
    code = state.exit_code()
    if int(exitstatus) in (0, 1) and code > int(exitstatus):
        session.exitstatus = code


__all__ = ["ContractFailure", "verify"]
