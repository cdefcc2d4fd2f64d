"""One verification of watch: a run with the tokens kept from earlier runs (one the target
refuses is dropped and the run logs in again), recorded in the history, and told as what
changed since the previous run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TextIO

from harness.config import ConfigError, RunConfig
from harness.contract import ContractError
from harness.engine import plan_run, run
from harness.history import HistoryError
from harness.judge.causes import Cause
from harness.judge.result import RunResult
from harness.judge.verdict import EXIT_CODES
from harness.process.signals import received
from harness.records.tokens import KeptToken, TokenCache
from harness.reports.document import build_document
from harness.reports.history import history_store
from harness.reports.present import write_reports
from harness.sanitize.redact import Redactor
from harness.watch.diff import cause_changes, latency_shifts, verdict_change


def with_tokens(config: RunConfig, kept: dict[str, KeptToken]) -> RunConfig:
    """The config whose logins are replaced by the tokens kept from earlier runs, each with
    the user id its login answered."""
    people = config.credentials
    if "valid" in kept and people.kind == "login":
        people = replace(people, token=kept["valid"].token, user_id=kept["valid"].user_id)
    identities = {role: replace(who, token=kept[role].token, user_id=kept[role].user_id)
                  if role in kept and who.kind == "login" else who
                  for role, who in config.identities.items()}
    return replace(config, credentials=people, identities=identities)


def clock() -> str:
    return datetime.now().strftime("%H:%M:%S")


class Verifier:
    """Runs the engine for watch and remembers the last verdict and document."""

    def __init__(self, config: RunConfig, say: Callable[[str], None], redactor: Redactor,
                 out: TextIO) -> None:
        self.config = config
        self.say = say
        self.redactor = redactor
        self.out = out
        self.store = history_store(config)
        self.tokens = TokenCache()
        self.runs = self.requests = 0
        self.previous: dict[str, Any] | None = None
        self.code: int | None = None
        self.verdict = "none"

    @property
    def exit_code(self) -> int:
        """The last verdict's exit code; 2 when no run finished."""
        return 2 if self.code is None else self.code

    def verify(self, polls_since: int) -> None:
        """One run, recorded, and one line per cause that changed since the previous run."""
        try:
            result = self._run()
        except (ConfigError, ContractError) as exc:
            self.say(f"[{clock()}] not verified: {exc}")
            return
        interrupted = received() is not None
        doc = self._record(result)
        self.runs += 1
        polls = f" (+{polls_since} polls since run {self.runs - 1})" if self.runs > 1 else ""
        head = (f"[{clock()}] run {self.runs}: {doc['verdict'].upper()} in "
                f"{doc['duration_s']:.2f} s, {doc['requests_sent']} requests{polls}")
        if interrupted:
            self.say(f"{head}: interrupted, not a verdict")
            return
        previous = self.previous
        lines = verdict_change(previous, doc) + cause_changes(previous, doc) + \
            latency_shifts(previous, doc)
        if previous is None:
            head += " (no earlier run of this contract against this target to compare with)"
        elif not lines:
            head += ": nothing changed since the previous run"
        self.say(head)
        for line in lines:
            self.say(f"  {line}")
        if doc.get("error"):
            self.say(f"  {doc['error']}")
        self.previous = doc
        self.code, self.verdict = EXIT_CODES[doc["verdict"]], doc["verdict"]

    def _record(self, result: RunResult) -> dict[str, Any]:
        """The run's document, written where the config says (the history: the ledger); the
        first time, the history's last run of this contract against this target is the
        previous one."""
        doc = build_document(result)
        if self.previous is None and self.store is not None and self.runs == 0:
            try:
                self.previous = self.store.last_document(result.config.contract.name,
                                                         result.config.target_key)
            except HistoryError:
                self.previous = None
        self.requests += int(doc["requests_sent"])
        for line in write_reports(result.config, doc, self.out):
            self.say(f"  error: {line}")
        return doc

    def _run(self) -> RunResult:
        kept = self.tokens.valid()
        result = self._engine(with_tokens(self.config, kept))
        if kept and any(root.cause is Cause.CREDENTIALS_REJECTED for root in result.root_causes):
            self.say("  a kept token was refused: logging in again")
            self.tokens.forget()
            self._record(result)
            result = self._engine(self.config)
        return result

    def _engine(self, config: RunConfig) -> RunResult:
        def says(line: str) -> None:
            self.say(f"  {line}")

        result = run(config, say=says, planned=plan_run(config, says), tokens=self.tokens)
        for kept in self.tokens.valid().values():
            self.redactor.add(kept.token)
        return result
