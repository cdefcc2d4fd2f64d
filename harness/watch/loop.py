"""The watch loop: announce the polling, verify once, then wait for a change, verify, print
what changed since the previous run, and wait again, until Ctrl-C."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from harness.config import RunConfig
from harness.config.resolve import service_log
from harness.history import HistoryError, default_path
from harness.history.ledger import sent_under
from harness.plan.health import document_request
from harness.probes.http import HttpProbeClient, route_of
from harness.probes.ngrok_agent import NgrokAgentError, public_tunnel
from harness.process.signals import interrupts_as_keyboard_interrupt, received
from harness.records.http import HttpAnswer, HttpRequest
from harness.reports.history import history_store
from harness.sanitize.escape import escape_control
from harness.sanitize.redact import Redactor
from harness.stacks.restarts import ComposeUnreadable, compose_started
from harness.watch.changes import HealthWatch, LogWatch, Seen, ValueWatch
from harness.watch.duration import shown
from harness.watch.polling import Polling, announced, declared, polling
from harness.watch.verify import Verifier, clock

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


class Watch:
    """One watch of one target (a URL, or the ngrok agent's tunnel)."""

    def __init__(self, config: RunConfig, options: WatchOptions,
                 out: TextIO | None = None) -> None:
        self.config = config
        self.options = options
        self.out = out or sys.stdout
        self.redactor = Redactor(config.secrets)
        self.store = history_store(config)
        self.verifier = Verifier(config, self.say, self.redactor, self.out)
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
        self.polls = self.polls_since = 0
        self._quiet_until = 0.0
        self._said: set[str] = set()

    # --- output ---------------------------------------------------------------------------

    def say(self, line: str) -> None:
        print(escape_control(self.redactor.text(line)), file=self.out, flush=True)

    def note_once(self, line: str) -> None:
        if line not in self._said:
            self._said.add(line)
            self.say(f"[{clock()}] {line}")

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
        runs, code = self.verifier.runs, self.verifier.exit_code
        self.say(f"watch: stopped: {runs} run{'s' if runs != 1 else ''} "
                 f"({self.verifier.requests} requests) and {self.polls} poll"
                 f"{'s' if self.polls != 1 else ''} ({self.polls} requests); last verdict "
                 f"{self.verifier.verdict.upper()} (exit {code})")
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
            self.say(f"[{clock()}] {seen.note}")
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
            self.say(f"[{clock()}] {request.path} answered 429: polling again in "
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
            self.say(f"[{clock()}] change: {why}")
        self.verifier.verify(self.polls_since)
        self.polls_since = 0


def _seconds(retry_after: str) -> float:
    try:
        return float(retry_after.split()[0])
    except (ValueError, IndexError):
        return 0.0
