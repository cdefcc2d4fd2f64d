"""The run's options, declared once: pytest's `pytest_addoption` and the CLI both read this."""

from __future__ import annotations

from argparse import ArgumentTypeError
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUITES = ("rest", "socket", "health")
RANGES: dict[str, tuple[float, float | None, str]] = {
    # a numeric option's metavar -> (lowest, highest (None: no bound), in words); 0 s is no
    # timeout and no wait: every option in seconds must be above 0
    "SECONDS": (1e-9, None, "a positive number of seconds"),
    "N": (1, None, "at least 1"),
    "PORT": (1, 65535, "a port number (1-65535)"),
}


def in_range(kind: Callable[[str], Any], metavar: str) -> Callable[[str], Any]:
    """An argparse type: `kind` of the text, within RANGES[metavar] (else a one-line error)."""
    lowest, highest, words = RANGES[metavar]

    def parse(text: str) -> Any:
        value = kind(text)
        if value < lowest or highest is not None and value > highest:
            raise ArgumentTypeError(f"must be {words}, got {text}")
        return value

    return parse


@dataclass(frozen=True)
class Option:
    """One option: its flags, where it lands (`dest`), its environment variable, its help."""

    flags: tuple[str, ...]
    dest: str
    help: str
    env: str | None = None
    type: Callable[[str], Any] | None = None
    action: str = "store"
    metavar: str | None = None
    group: str = "target"
    extra: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for argparse's `add_argument` and pytest's `addoption`."""
        kwargs: dict[str, Any] = {"dest": self.dest, "action": self.action, "help": self.help,
                                  **self.extra}
        if self.action == "append":
            kwargs["default"] = []
        if self.type is not None:
            kwargs["type"] = self.type
        if self.metavar is not None:
            kwargs["metavar"] = self.metavar
        return kwargs


def _suites(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        raise ArgumentTypeError(f"unknown suite {unknown[0]!r}; the suites are "
                                f"{', '.join(SUITES)}")
    return names


OPTIONS: tuple[Option, ...] = (
    Option(("--target-url",), "target_url", "base URL of the gateway; `ngrok` takes it from "
           "the local ngrok agent (default: the embedded reference stack)", "SMOKE_TARGET_URL",
           metavar="URL"),
    Option(("--base-path",), "base_path", "the path prefix the gateway serves the contract's "
           "routes under, when the target URL has a path", "SMOKE_BASE_PATH", metavar="PATH"),
    Option(("--contract",), "contract", "contract YAML file (default: the bundled one)",
           "SMOKE_CONTRACT", metavar="FILE"),
    Option(("--expect-service",), "expect_service", "service map /api/health must report: "
           "NAME=URL or NAME (repeatable)", "SMOKE_EXPECT_SERVICES", action="append",
           metavar="NAME[=URL]"),
    Option(("--origin",), "origin", "browser origin the Socket.IO server must allow (CORS)",
           "SMOKE_ORIGIN", metavar="ORIGIN"),
    Option(("--smoke-timeout", "--timeout"), "timeout", "timeout of each network operation in "
           "seconds (default: the contract's, 5)", "SMOKE_TIMEOUT", type=float,
           metavar="SECONDS"),
    Option(("--suite",), "suite", "run only these suites: rest,socket,health (repeatable)",
           action="append", type=_suites, metavar="NAMES", group="plan"),
    Option(("--read-only",), "read_only", "send nothing that creates data on the target; reads "
           "still run (another user's objects included); routes with {conversation_id} need "
           "flow.conversation_id, else they are not tested for want of it",
           action="store_true", group="plan"),
    Option(("--smoke-strict", "--strict"), "strict", "also require a 4xx for a wrong content "
           "type or a malformed body sent with a valid token", action="store_true", group="plan"),
    Option(("--thorough",), "thorough", "every auth variant on every route, both Socket.IO "
           "transports with python-socketio, every bad body (more requests)",
           action="store_true", group="plan"),
    Option(("--max-requests",), "max_requests", "never send more than N requests; a plan that "
           "does not fit runs its most important checks and says what it left out",
           "SMOKE_MAX_REQUESTS", type=int, metavar="N", group="plan"),
    Option(("--sequential",), "sequential", "send one probe at a time", action="store_true",
           group="plan"),
    Option(("--plan",), "show_plan", "print the plan (every probe and the request count) and "
           "exit without sending anything", action="store_true", group="plan"),
    Option(("--wait-until-healthy",), "wait_until_healthy", "poll health until green before "
           "the run (only transport errors and 502/503/504 are retried); timeout: exit 2",
           type=float, metavar="SECONDS", group="plan"),
    Option(("--ngrok-api",), "ngrok_api", "local ngrok agent API: check each tunnel's upstream "
           "port (default http://127.0.0.1:4040 with target `ngrok`)", "SMOKE_NGROK_API",
           metavar="URL"),
    Option(("--service-log",), "service_log", "scan a service log for known warnings, from its "
           "last start: FILE or SERVICE=FILE (repeatable, one per service)", action="append",
           metavar="[SERVICE=]FILE"),
    Option(("--report-json",), "report_json", "write the machine-readable report here",
           metavar="PATH", group="reports"),
    Option(("--signoff-report",), "signoff_report", "write the release sign-off page here "
           "(HTML; Markdown for *.md)", metavar="PATH", group="reports"),
    Option(("--baseline",), "baseline", "a previous --report-json, or `last` (the last run of "
           "this contract against this target in the run history): the summary, the JSON "
           "report and the sign-off page say what changed since", metavar="PATH|last",
           group="reports"),
    Option(("--allure-history",), "allure_history", "a previous `allure generate` output (or "
           "its history/ folder): copied into --alluredir's history/ so Allure's Trend fills",
           metavar="DIR", group="reports"),
    Option(("--fault",), "faults", "embedded or --hermetic stack only: switch on a named fault "
           "(repeatable)", action="append", metavar="NAME", group="stacks"),
    Option(("--hermetic",), "hermetic", "run against the platform started in throwaway Docker "
           "containers", action="store_true", group="stacks"),
    Option(("--compose-file",), "compose_file", "bring up this compose project and test its "
           "--compose-gateway service", metavar="FILE", group="stacks"),
    Option(("--compose-gateway",), "compose_gateway", "the gateway service of --compose-file",
           metavar="SERVICE", group="stacks"),
    Option(("--compose-port",), "compose_port", "the gateway's port inside its container "
           "(default: the one port it publishes)", type=int, metavar="PORT", group="stacks"),
    Option(("--start-timeout",), "start_timeout", "bound on starting a hermetic or compose "
           "stack, every service awaited (default 120 s)", type=float, metavar="SECONDS",
           group="stacks"),
    Option(("--history",), "history", "the run history database (default: "
           "$XDG_STATE_HOME/smoke-harness/history.sqlite); every run is appended",
           "SMOKE_HISTORY", metavar="PATH", group="history"),
    Option(("--no-history",), "no_history", "do not append this run to the history",
           action="store_true", group="history"),
    Option(("--target-name",), "target_name", "the target's identity in the history: runs with "
           "the same name are runs of the same target whatever their URL (--baseline last, the "
           "request ledger)", "SMOKE_TARGET_NAME", metavar="NAME", group="history"),
)

GROUPS = {"target": "target and contract", "plan": "what the run sends",
          "reports": "reports", "stacks": "stacks (embedded, hermetic, compose)",
          "history": "run history"}


def flags_for_pytest(option: Option) -> tuple[str, ...]:
    """pytest gets the first flag only: `--timeout` (pytest-timeout) and `--strict` (pytest)
    would clash."""
    return option.flags[:1]


def option_defaults() -> dict[str, Any]:
    return {option.dest: [] if option.action == "append" else
            (False if option.action == "store_true" else None) for option in OPTIONS}
