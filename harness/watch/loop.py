"""The watch loop: announce the polling, verify once, then wait for a change, verify, print
what changed since the previous run, and wait again, until Ctrl-C."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from harness.config import ConfigError, RunConfig
from harness.config.resolve import service_log
from harness.contract import ContractError
from harness.engine import plan_run, run
from harness.history import HistoryError, default_path
from harness.history.ledger import sent_under
from harness.judge.causes import Cause
from harness.judge.result import RunResult
from harness.judge.verdict import EXIT_CODES
from harness.plan.health import document_request
from harness.probes.http import HttpProbeClient, route_of
from harness.probes.ngrok_agent import NgrokAgentError, public_tunnel
from harness.process.signals import interrupts_as_keyboard_interrupt, received
from harness.records.http import HttpAnswer, HttpRequest
from harness.records.tokens import TokenCache
from harness.reports.document import build_document
from harness.reports.history import history_store
from harness.reports.present import write_reports
from harness.sanitize.escape import escape_control
from harness.sanitize.redact import Redactor
from harness.stacks.restarts import ComposeUnreadable, compose_started
from harness.watch.changes import HealthWatch, LogWatch, Seen, ValueWatch
from harness.watch.diff import cause_changes, latency_shifts
from harness.watch.duration import shown
from harness.watch.polling import Polling, announced, declared, polling

TICK_S = 0.2
AGENT_EVERY_S = 2.0   # the local ngrok agent and the service logs are free to read
LOG_EVERY_S = 1.0
COMPOSE_EVERY_S = 5.0


class WatchError(Exception):
    """Watch cannot start (the ngrok agent does not answer, ...): one line, exit 2."""


@dataclass(frozen=True)
class WatchOptions:
    every_s: float | None = None
    compose_file: str | None = None


def with_tokens(config: RunConfig, kept: dict[str, str]) -> RunConfig:
    """The config whose logins are replaced by the tokens kept from earlier runs."""
    people = config.credentials
    if "valid" in kept and people.kind == "login":
        people = replace(people, token=kept["valid"])
    identities = {role: replace(who, token=kept[role]) if role in kept and who.kind == "login"
                  else who for role, who in config.identities.items()}
    return replace(config, credentials=people, identities=identities)


def _clock() -> str:
    return datetime.now().strftime("%H:%M:%S")


class Watch:
    """One watch of one target (a URL, or the ngrok agent's tunnel)."""

    def __init__(self, config: RunConfig, options: WatchOptions,
                 out: TextIO | None = None) -> None:
        self.config = config
        self.options = options
        self.out = out or sys.stdout
        self.redactor = Redactor(config.secrets)
        self.store = history_store(config)
        self.tokens = TokenCache()
        self.target = config
        self.request: HttpRequest | None = document_request(config)
        health = config.contract.health
        self.health = HealthWatch(self.request.path, health.restart_fields) \
            if self.request is not None and health is not None else None
        marker = config.contract.service_logs.start_marker or \
            config.contract.service_logs.port_pattern
        self.logs = [LogWatch(service_log(spec)[1], marker) for spec in config.service_logs]
        self.agent = ValueWatch("the ngrok agent's public URL") \
            if config.stack == "ngrok" else None
        self.compose = ValueWatch(f"compose project of {options.compose_file}") \
            if options.compose_file else None
        self.polling: Polling | None = None
        self.runs = self.polls = self.run_requests = self.polls_since = 0
        self.previous: dict[str, Any] | None = None
        self.code: int | None = None
        self.verdict = "none"
        self._quiet_until = 0.0
        self._said: set[str] = set()

    # --- output ---------------------------------------------------------------------------

    def say(self, line: str) -> None:
        print(escape_control(self.redactor.text(line)), file=self.out, flush=True)

    def note_once(self, line: str) -> None:
        if line not in self._said:
            self._said.add(line)
            self.say(f"[{_clock()}] {line}")

    # --- the loop -------------------------------------------------------------------------

    def watch(self) -> int:
        """Until Ctrl-C (or SIGTERM): the last verdict's exit code (2 when none)."""
        with interrupts_as_keyboard_interrupt():
            try:
                self._start()
                while not received():
                    self._verify(self._wait())
            except KeyboardInterrupt:
                pass
        code = 2 if self.code is None else self.code
        self.say(f"watch: stopped: {self.runs} run{'s' if self.runs != 1 else ''} "
                 f"({self.run_requests} requests) and {self.polls} poll"
                 f"{'s' if self.polls != 1 else ''} ({self.polls} requests); last verdict "
                 f"{self.verdict.upper()} (exit {code})")
        return code

    def _start(self) -> None:
        if self.agent is not None:
            try:
                tunnel = public_tunnel(self.config.ngrok_api or "", self.config.timeout_s)
            except NgrokAgentError as exc:
                raise WatchError(str(exc)) from None
            self._point_at(tunnel.public_url.rstrip("/"), tunnel.name or None)
            self.agent.see(self.target.url)
        self.say(f"watch: {self.target.url} (in the history as {self.target.target_key}), "
                 f"contract {self.config.contract.name!r}; Ctrl-C ends it")
        if self.compose is not None:
            self._read_compose()
        budgets = declared(self.config.contract.rate_limits,
                           self.request.path if self.request else "/")
        first = self._poll() if self.health is not None else None
        if first is not None and self.health is not None:
            self._seen(self.health.see(first))
            if (said := announced(first.headers)) is not None:
                budgets.append(said)
        if self.health is not None and self.request is not None:
            self.polling = polling(self.request.path, budgets)
            self.say(f"watch: {self.polling.announce()}")
            self.say(f"watch: {self.health.describe()}")
        else:
            self.say("watch: the contract has no health route: only a service log's start "
                     "line, the ngrok agent, compose and --every tell a change")
        if self.options.every_s:
            self.say(f"watch: and a run every {shown(self.options.every_s)} (--every)")
        self._verify("start")

    def _point_at(self, url: str, tunnel: str | None) -> None:
        self.target = self.config.with_target(url, tunnel=tunnel)

    def _wait(self) -> str:
        """Until something changed: what it was."""
        now = time.monotonic()
        due = {"poll": now + (self.polling.interval_s if self.polling else float("inf")),
               "agent": now + AGENT_EVERY_S, "logs": now + LOG_EVERY_S,
               "compose": now + COMPOSE_EVERY_S,
               "every": now + (self.options.every_s or float("inf"))}
        while True:
            now = time.monotonic()
            for name, reader, every in (("agent", self._read_agent, AGENT_EVERY_S),
                                        ("logs", self._read_logs, LOG_EVERY_S),
                                        ("compose", self._read_compose, COMPOSE_EVERY_S)):
                if now >= due[name]:
                    due[name] = now + every
                    change = reader()
                    if change:
                        return change
            if now >= due["poll"] and now >= self._quiet_until and self.polling is not None:
                due["poll"] = now + self.polling.interval_s
                answer = self._poll()
                if answer is not None and self.health is not None:
                    change = self._seen(self.health.see(answer))
                    if change:
                        return change
            if now >= due["every"]:
                return f"--every {shown(self.options.every_s or 0)}"
            time.sleep(TICK_S)

    def _seen(self, seen: Seen) -> str | None:
        if seen.note:
            self.say(f"[{_clock()}] {seen.note}")
        return seen.change

    def _read_agent(self) -> str | None:
        if self.agent is None:
            return None
        try:
            tunnel = public_tunnel(self.config.ngrok_api or "", self.config.timeout_s)
        except NgrokAgentError as exc:
            return self._seen(self.agent.see(None, str(exc)))
        url = tunnel.public_url.rstrip("/")
        change = self._seen(self.agent.see(url))
        if change:
            self._point_at(url, tunnel.name or None)
            if self.health is not None:
                self.health.reset()
        return change

    def _read_logs(self) -> str | None:
        return next((change for log in self.logs if (change := self._seen(log.see()))), None)

    def _read_compose(self) -> str | None:
        if self.compose is None or self.options.compose_file is None:
            return None
        try:
            started = compose_started(self.options.compose_file)
        except ComposeUnreadable as exc:
            return self._seen(self.compose.see(None, str(exc)))
        return self._seen(self.compose.see(started))

    # --- the cheap request ----------------------------------------------------------------

    def _history_path(self) -> Path:
        return Path(self.config.history) if self.config.history else default_path()

    def _ledger_spent(self, path: str) -> bool:
        """Whether a declared limit on `path` has nothing left (this machine's ledger)."""
        for limit in self.config.contract.rate_limits:
            if not limit.covers(path):
                continue
            try:
                used = sent_under(self._history_path(), self.target.target_key,
                                  limit.prefixes, limit.window_s)
            except HistoryError:
                continue
            if used >= limit.limit:
                self.note_once(f"polling paused: the contract's rate limit on {limit.label} "
                               f"is spent ({used} sent from this machine in the window)")
                return True
        return False

    def _poll(self) -> HttpAnswer | None:
        """GET the health route once (None when the ledger has no room for it)."""
        request = self.request
        if request is None or self._ledger_spent(route_of(request.path)):
            return None
        answer = asyncio.run(self._send(request))
        self.polls += 1
        self.polls_since += 1
        if self.store is not None:
            try:
                self.store.record_sent(self.target.target_key, {route_of(request.path): 1})
            except HistoryError as exc:
                self.note_once(f"warning: {exc}; polls are not in the request ledger")
        if answer.status == 429:
            wait = self.polling.interval_s if self.polling else 60.0
            self._quiet_until = time.monotonic() + max(wait, _seconds(answer.retry_after))
            self.say(f"[{_clock()}] {request.path} answered 429: polling again in "
                     f"{shown(max(wait, _seconds(answer.retry_after)))}")
        return answer

    async def _send(self, request: HttpRequest) -> HttpAnswer:
        client = HttpProbeClient(self.target.base_url, timeout_s=self.config.timeout_s)
        try:
            return await client.send(request)
        finally:
            await client.close()

    # --- a run ----------------------------------------------------------------------------

    def _verify(self, why: str) -> None:
        if why != "start":
            self.say(f"[{_clock()}] change: {why}")
        try:
            result = self._run()
        except (ConfigError, ContractError) as exc:
            self.say(f"[{_clock()}] not verified: {exc}")
            return
        interrupted = received() is not None
        doc = self._record(result)
        self.runs += 1
        polls = f" (+{self.polls_since} polls since run {self.runs - 1})" \
            if self.runs > 1 else ""
        self.polls_since = 0
        head = (f"[{_clock()}] run {self.runs}: {doc['verdict'].upper()} in "
                f"{doc['duration_s']:.2f} s, {doc['requests_sent']} requests{polls}")
        previous = self.previous
        if interrupted:
            self.say(f"{head}: interrupted, not a verdict")
            return
        lines = cause_changes(previous, doc) + latency_shifts(previous, doc)
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
        """The run's document, written where the config says (the history: the ledger)."""
        doc = build_document(result)
        if self.previous is None and self.store is not None and self.runs == 0:
            try:
                self.previous = self.store.last_document(result.config.contract.name,
                                                         result.config.target_key)
            except HistoryError:
                self.previous = None
        self.run_requests += int(doc["requests_sent"])
        write_reports(result.config, doc, self.out)
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
        for token in self.tokens.valid().values():
            self.redactor.add(token)
        return result


def _seconds(retry_after: str) -> float:
    try:
        return float(retry_after.split()[0])
    except (ValueError, IndexError):
        return 0.0
