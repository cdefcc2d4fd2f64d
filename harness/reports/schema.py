"""The report document's shape as pydantic models: its JSON Schema (committed as
`fixtures/report.schema.json`, printed by `python -m harness schema --report`) and the
validation the tests run on real documents. Unknown keys are errors, so a key added to the
document without its schema fails the tests. A run stopped by its configuration writes the
small `ConfigErrorDocument`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Severity = Literal["security", "availability", "correctness", "drift"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RootCause(Strict):
    cause: str
    severity: Severity
    rank: int
    summary: str
    evidence: str
    next_step: str
    checks: list[str]
    blocked: int
    explains: int
    dependency: str | None = None


class NotTested(Strict):
    check: str
    reason: str


class KnownIssue(Strict):
    check: str
    reason: str
    link: str | None
    status: Literal["still-failing", "fixed"]


class Span(Strict):
    label: str
    start_ms: int
    end_ms: int
    ok: bool


class Step(Span):
    exchange: str


class Check(Strict):
    id: str
    suite: str
    outcome: Literal["passed", "failed", "blocked", "not-tested", "known-issue", "error"]
    cause: str | None
    blocked_by: str | None
    message: str
    evidence: str
    reproduce: str
    latency_ms: int | None
    severity: Severity | None
    budget_ms: int | None
    slow: bool
    steps: list[Step]


class Ci(Strict):
    provider: str
    job: str | None
    run: str | None
    url: str | None


class Run(Strict):
    harness_version: str
    contract: str
    contract_file: str
    target_key: str
    command: str
    contract_sha256: str
    credentials: Literal["token", "login", "none"]
    options: dict[str, Any]
    target_version: str | None
    ci: Ci | None


class Stack(Strict):
    kind: Literal["embedded", "hermetic"]
    faults: list[str]
    gone: str
    bring_back: str
    login: str
    rerun: str


class HistoryRun(Strict):
    started_at: str
    verdict: str
    causes: list[str]
    requests_sent: int | None
    duration_s: float | None
    this_run: bool


class Trend(Strict):
    id: str
    runs: int
    median_ms: int
    min_ms: int
    max_ms: int
    now_ms: int | None
    values_ms: list[int]


class History(Strict):
    target_key: str
    contract: str
    runs: list[HistoryRun]
    latency: list[Trend]


class LatencyChange(Strict):
    id: str
    before_ms: int
    now_ms: int
    change_ms: int
    flagged: bool


class Threshold(Strict):
    share: float
    ms: int


class Baseline(Strict):
    file: str
    previous_verdict: str
    previous_started_at: str
    previous_target: str
    previous_target_key: str
    previous_contract: str
    newly_failing: list[str]
    fixed: list[str]
    still_failing: list[str]
    unverified: list[str]
    latency: list[LatencyChange]
    latency_threshold: Threshold


class ReportDocument(Strict):
    """The JSON report (`--report-json`): every other report renders from it."""

    verdict: Literal["pass", "fail", "inconclusive", "error"]
    target: str
    started_at: str
    duration_s: float
    requests_sent: int
    requests_by_suite: dict[str, int]
    requests_by_path: dict[str, int] = {}
    rate_limit: dict[str, int | float | None] | None
    root_causes: list[RootCause]
    not_tested: list[NotTested]
    known_issues: list[KnownIssue]
    checks: list[Check]
    run: Run
    notes: list[str]
    timeline: list[Span]
    clock_epoch_ms: int | None
    error: str | None = None
    waited_s: float | None = None
    containers: list[dict[str, str]] | None = None
    stack: Stack | None = None
    history: History | None = None
    baseline: Baseline | None = None


class ConfigErrorDocument(Strict):
    """The document of a run stopped by its configuration, before anything started."""

    verdict: Literal["error"]
    error: str
    target: None
    checks: list[Check] = Field(max_length=0)
    root_causes: list[RootCause] = Field(max_length=0)
    not_tested: list[NotTested] = Field(max_length=0)
    requests_sent: Literal[0]


DOCUMENT: TypeAdapter[ReportDocument | ConfigErrorDocument] = TypeAdapter(
    ReportDocument | ConfigErrorDocument)


def report_schema() -> dict[str, object]:
    schema = DOCUMENT.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "smoke-harness report document"
    return schema


def validate_report(document: dict[str, Any]) -> ReportDocument | ConfigErrorDocument:
    """The document checked against the schema's models (pydantic ValidationError if not)."""
    return DOCUMENT.validate_python(document, strict=True)
