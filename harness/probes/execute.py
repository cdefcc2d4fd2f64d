"""The executor: sends a plan's probes in stages, each at most once, and keeps the answers.

Stage 0 (preflight) asks for the health document and logs in; stage 1 sends every probe that
needs nothing else, concurrently, while the Socket.IO session runs; stage 2 sends what needed
the token or the created conversation. Follow-ups are the plan's own records, sent when the
engine asks (the executor never plans). The shapes of tokens, ids and acks are read by the
`Readers` the engine hands in. Nothing else in the harness sends a request to the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from harness.config import RunConfig
from harness.probes.http import HttpProbeClient
from harness.probes.logscan import scan
from harness.probes.ngrok_agent import survey_tunnels
from harness.probes.preconnect import ConnectionsAhead
from harness.probes.socketio_session import SessionInputs, SocketSession
from harness.records.engineio import HandshakeError, parse_open_packet
from harness.records.evidence import Evidence
from harness.records.forgery import FORGED_SIGNATURE, FORGERIES, forgeries
from harness.records.http import HttpAnswer, HttpRequest
from harness.records.keys import (
    CREATE,
    DOCUMENT,
    HANDSHAKE_REFUSED_WITH_ORIGIN,
    LOGIN,
    NGROK_SURVEY,
    POST,
    UPGRADE_FAILED,
)
from harness.records.plan import FollowUp, Plan, SessionSpec
from harness.records.session import SessionResult, WebsocketOpen

CHAIN_FIELDS = ("conversation_id", "no_conversation", "joined", "join_reply", "join_error", "post",
                "text", "event", "event_after_s", "events_seen", "seen_while_joining",
                "text_came_as", "listeners", "deliveries", "settle_s", "probed_events",
                "alive_after_probes", "after_probes", "after_probes_seen")
AHEAD_HTTP = 2  # opened ahead: health takes one, the handshake (beside the login) the other
CONCURRENCY = 32  # a default run's requests all fit: none waits a round trip for a slot


@dataclass(frozen=True)
class Readers:
    """How run values are read out of answers: the judge's normal form, handed in."""

    token: Callable[[HttpAnswer], str | None]
    created_id: Callable[[HttpAnswer], str | None]
    ack_ok: Callable[[Any], bool]
    user_id: Callable[[str, HttpAnswer | None], str | None]


class Executor:
    """Sends one plan against one target; `evidence` is what the judge reads."""

    def __init__(self, config: RunConfig, plan: Plan, client: HttpProbeClient,
                 readers: Readers) -> None:
        self.config = config
        self.plan = plan
        self.client = client
        self.readers = readers
        self.evidence = Evidence(timeline=client.timeline)
        self._inflight: dict[str, asyncio.Future[HttpAnswer]] = {}
        self._on_wire: set[str] = set()  # sent, not answered (the others wait for a turn)
        self._limit = asyncio.Semaphore(1 if config.sequential else CONCURRENCY)
        self._conversation: asyncio.Future[tuple[str | None, str]] | None = None
        self._created: asyncio.Future[tuple[str | None, str]] | None = None
        self._sessions: asyncio.Future[Any] | None = None
        self._logged_in = asyncio.Event()
        self._identified = asyncio.Event()
        self._posted = asyncio.Event()
        self.ahead: ConnectionsAhead | None = None
        self.client.credential = self._credential

    def _credential(self, role: str = "valid") -> dict[str, str]:
        """The headers of a request's `auth`: the run's token, an identity's, or a forgery of
        the run's token (made once the logins have answered)."""
        token = (self.evidence.token if role == "valid" else self.evidence.forgeries.get(role)
                 if role in FORGERIES else self.evidence.tokens.get(role)) or ""
        cookie = self.config.contract.auth.cookie_name
        return {"cookie": f"{cookie}={token}"} if cookie else \
            {"authorization": f"{self.config.contract.auth.scheme} {token}"}

    async def send(self, request: HttpRequest) -> HttpAnswer:
        """Send `request` once per run (by key); later calls share the answer."""
        if request.key not in self._inflight:
            self._inflight[request.key] = asyncio.ensure_future(self._send(request))
        return await self._inflight[request.key]

    async def _send(self, request: HttpRequest) -> HttpAnswer:
        async with self._limit:
            self._on_wire.add(request.key)  # stays there when an interrupt cancels it
            answer = await self.client.send(request)
            self._on_wire.discard(request.key)
        self.evidence.answers[request.key] = answer
        return answer

    def pending(self) -> tuple[list[str], int]:
        """The requests sent and not answered yet, by what they are (for an interrupted run
        to name), and how many more were waiting for their turn (--sequential), not sent."""
        waiting = [key for key, future in self._inflight.items()
                   if not future.done() or future.cancelled()]
        sent = [key for key in waiting if key in self._on_wire]
        return [f"{request.request_line} ({request.label})"
                if (request := self.plan.request(key)) and request.label else
                request.request_line if request else key
                for key in sent], len(waiting) - len(sent)

    async def send_key(self, key: str) -> HttpAnswer | None:
        request = self.plan.request(key)
        return await self.send(request) if request is not None else None

    async def first(self) -> None:
        """The health document (or the first probe that needs no credential), alone: its
        answer says what the target's rate limit has left. Connections for the run's
        websockets are opened meanwhile (no request)."""
        if self.config.credentials.token:  # before anything that needs it is sent
            self.evidence.token = self.config.credentials.token
        self._open_ahead()
        if self.plan.sessions:  # the handshake (the login takes health's connection)
            self.client.open_ahead(AHEAD_HTTP)
        first = self.plan.request(DOCUMENT) or next(
            (r for r in self.plan.http if r.auth is None and not r.key.startswith(LOGIN)), None)
        if first is not None:
            self.evidence.first = await self.send(first)

    def logins(self) -> list[str]:
        """The login requests the preflight will send."""
        return [key for key in (LOGIN, *(f"{LOGIN}:{role}" for role in self.config.identities))
                if self.plan.request(key) is not None]

    async def preflight(self) -> None:
        """The logins (none the target's announced rate limit cannot afford), with the
        Socket.IO sessions started beside them (what they do before the token needs none);
        with SMOKE_TOKEN, one authorized GET to see whether the target accepts it (a second
        when the first refuses it); then whose ids the tokens carry."""
        jobs = []
        if self.plan.request(LOGIN) is not None:
            jobs.append(asyncio.ensure_future(self._login()))
        for role, people in self.config.identities.items():
            if people.token:
                self.evidence.tokens[role] = people.token
            elif self.plan.request(f"{LOGIN}:{role}") is not None:
                jobs.append(asyncio.ensure_future(self._login_as(role)))
        await asyncio.sleep(0)  # the run's login takes the connection health left open
        if not self.config.credentials.token:  # else: once the target accepted the token
            self._start_sessions()
        self._created = asyncio.ensure_future(self._create())
        self._conversation = asyncio.ensure_future(self._rest_conversation())
        await asyncio.gather(*jobs)
        self.evidence.forgeries = forgeries(self.evidence.token, self.config.jwt_secret)
        self._logged_in.set()
        if self.config.credentials.token:
            checks = [r for r in self.plan.http if r.auth == "valid" and r.method == "GET"
                      and "{" not in r.path][:2]
            for check in checks:  # a second route only when the first refused the token
                answer = await self.send(check)
                self.evidence.token_checks.append(answer)
                if answer.status not in (401, 403):
                    break
            if any(answer.status not in (401, 403) for answer in self.evidence.token_checks) \
                    or not checks:
                self._start_sessions()
        whoami = [r for r in self.plan.http if r.key.startswith("whoami:")
                  and (r.auth == "valid" and self.evidence.token or r.auth in self.evidence.tokens)]
        await asyncio.gather(*(self.send(r) for r in whoami))
        self._identify()
        self._identified.set()

    def _start_sessions(self) -> None:
        self._sessions = asyncio.ensure_future(
            asyncio.gather(*(self._session(spec) for spec in self.plan.sessions)))

    def _open_ahead(self) -> None:
        """One connection ahead for each websocket the sessions will open."""
        wanted = sum(_websockets(spec) for spec in self.plan.sessions)
        if wanted and self.ahead is None:
            self.ahead = ConnectionsAhead(self._socket_session().ws_url(),
                                          self.config.timeout_s)
            self.ahead.open(wanted)

    async def stop(self) -> None:
        """Cancel what is still running (an aborted run) and close the connections opened
        ahead and not used."""
        for task in (self._sessions, self._created, self._conversation):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.ahead is not None:
            await self.ahead.close()

    async def _login_as(self, role: str) -> None:
        answer = await self.send(self.plan.request(f"{LOGIN}:{role}"))  # type: ignore[arg-type]
        token = self.readers.token(answer)
        if token:
            self.evidence.tokens[role] = token
        elif answer.error == "refused-by-budget":
            self.evidence.identity_problems[role] = f"its login was not sent: {answer.error_detail}"
        else:
            self.evidence.identity_problems[role] = \
                f"its login answered {answer.status or answer.error}"

    def _identify(self) -> None:
        """Each identity's user id, and whose id stands in for another user's; the values
        `{user_id}`, `{peer_id}`, `{outsider_id}` and `{other_id}` are filled from them."""
        tokens = {"valid": self.evidence.token, **self.evidence.tokens}
        for role, token in tokens.items():
            if not token:
                continue
            who = self.config.credentials if role == "valid" else self.config.identities.get(role)
            # a token kept from an earlier login: the id its login answered then
            found = who.user_id if who is not None and who.token == token else None
            if found is None:
                found = self.readers.user_id(token, self.evidence.answers.get(
                    f"whoami:{role}") or self.evidence.answers.get(
                    LOGIN if role == "valid" else f"{LOGIN}:{role}"))
            if found is not None:
                self.evidence.user_ids[role] = found
                self.client.values["user_id" if role == "valid" else f"{role}_id"] = found
        other = next((r for r in ("outsider", "peer") if r in self.evidence.user_ids), "")
        self.evidence.other_role = other or next(
            (r for r in ("outsider", "peer") if r in self.config.identities), "")
        if other:
            self.evidence.user_ids["other"] = self.evidence.user_ids[other]
            self.client.values["other_id"] = self.evidence.user_ids[other]

    async def _login(self) -> HttpAnswer:
        answer = await self.send(self.plan.request(LOGIN))  # type: ignore[arg-type]
        token = self.readers.token(answer)
        if token:
            self.evidence.token = token
        else:
            self.evidence.token_problem = f"the login answered {answer.status or answer.error}"
        return answer

    async def token(self) -> str | None:
        """The run's token, once the logins have answered."""
        await self._logged_in.wait()
        return self.evidence.token

    async def forged(self) -> str:
        """The run's token with a forged signature, once the logins have answered."""
        await self._logged_in.wait()
        return self.evidence.forgeries[FORGED_SIGNATURE]

    async def run(self) -> None:
        """Stage 1 and 2: everything the plan holds (follow-ups only when asked for), beside
        the sessions the preflight started."""
        if any(NGROK_SURVEY in check.probes for check in self.plan.checks):
            self.evidence.tunnels = await asyncio.to_thread(
                survey_tunnels, self.config.ngrok_api or "", self.config.timeout_s)
        assert self._conversation is not None
        if self._sessions is None:
            self._start_sessions()
        assert self._sessions is not None
        opened_by_sessions = {spec.handshake for spec in self.plan.sessions}
        # the forgeries were made in the preflight; a handshake no kept session makes goes alone
        independent = [r for r in self.plan.http
                       if (r.auth is None or r.auth in FORGERIES)
                       and r.key != LOGIN and r.key not in opened_by_sessions]
        authorized = [r for r in self.plan.http if r.auth == "valid" and
                      r.key not in (CREATE, POST) and "{" not in r.path]
        jobs = [self.send(r) for r in independent]
        if self.evidence.token:
            jobs += [self.send(r) for r in authorized]
        identities = asyncio.ensure_future(self._as_identities())
        await asyncio.gather(*jobs, self._created, self._conversation)
        conversation, _ = await self._conversation
        later = [r for r in self.plan.http if r.auth == "valid" and "{" in r.path
                 and r.key not in (CREATE, POST) and self._can_fill(r.path)]
        if self.evidence.token and later:
            await asyncio.gather(*(self.send(r) for r in later))
        await self._sessions
        if self.plan.request(POST) is not None and POST not in self.evidence.answers and \
                conversation is not None and self.evidence.token:
            await self._post(conversation, f"{self.config.contract.flow.tag_prefix}rest")
        self._posted.set()
        self.evidence.texts += [s.text for s in self.evidence.sessions.values() if s.text]
        await identities
        for log in self.plan.log_scans:  # last: the logs then hold what this run caused
            self.evidence.logs[log.key] = await asyncio.to_thread(
                scan, log, self.config.contract.service_logs)

    async def _as_identities(self) -> None:
        """What the identities send, once the run's conversation and its message exist (the
        post answered): the outsider's reads and writes (another user's objects)."""
        assert self._conversation is not None
        conversation, _ = await self._conversation
        await self._posted.wait()
        jobs = [self.send(r) for r in self.plan.http
                if r.auth in self.evidence.tokens and not r.key.startswith(LOGIN)
                and (conversation is not None or "{conversation_id}" not in
                     r.path + (r.body or b"").decode("utf-8", "replace"))]
        await asyncio.gather(*jobs)

    def _can_fill(self, path: str) -> bool:
        """Every run value the path names is known: the run's conversation (none when create
        failed, or with --read-only and no flow.conversation_id), the identities' ids (another
        user's may not be). A route that names no conversation does not wait for one."""
        return all(name in self.client.values for name in re.findall(r"\{(\w+)\}", path))

    def _use(self, conversation: str | None) -> str | None:
        """Remember the run's conversation: `{conversation_id}` placeholders get it."""
        if conversation is not None:
            self.client.values["conversation_id"] = conversation
            self.evidence.conversation_id = self.evidence.conversation_id or conversation
        return conversation

    async def _rest_conversation(self) -> tuple[str | None, str]:
        """The conversation the post and `{conversation_id}` use: flow.conversation_id, else
        the created one."""
        fixed = self.config.contract.flow.conversation_id
        if fixed:
            return self._use(fixed), ""
        assert self._created is not None
        conversation, problem = await self._created
        return self._use(conversation), problem

    async def _socket_conversation(self) -> tuple[str | None, str]:
        """The conversation the realtime check joins: socketio.conversation_id, else the
        REST one."""
        fixed = self.config.contract.socketio.conversation_id
        if fixed:
            return fixed, ""
        assert self._conversation is not None
        # shielded: a session that ends cancels its listeners waiting here, and that must not
        # cancel the run's one conversation (every other step awaits it too)
        return await asyncio.shield(self._conversation)

    async def _create(self) -> tuple[str | None, str]:
        await self._identified.wait()  # the token, and the ids its body may name
        request = self.plan.request(CREATE)
        if request is None:
            return None, ("no conversation to use: set flow.conversation_id (an existing "
                          "conversation) for read-only runs")
        if not self.evidence.token:
            return None, "no token to create a conversation with"
        answer = await self.send(request)
        if answer.status not in self.config.contract.flow.created_statuses:
            return None, f"creating a conversation answered {answer.status or answer.error}"
        found = self.readers.created_id(answer)
        if found is None:
            return None, "the created conversation's answer has no id"
        return found, ""

    async def _post(self, conversation: str, text: str) -> HttpAnswer | None:
        request = self.plan.request(POST)
        if request is None or not self.evidence.token:
            return None
        flow = self.config.contract.flow
        self._use(conversation)
        self.evidence.texts.append(text)
        body = json.loads(request.body or b"{}")
        body[flow.conversation_field] = conversation
        body[flow.text_field] = text
        try:
            return await self.send(replace(request, body=json.dumps(body).encode()))
        finally:
            self._posted.set()

    def _inputs(self) -> SessionInputs:
        return SessionInputs(token=self.token, forged=self.forged,
                             conversation=self._socket_conversation, post=self._post,
                             send_http=self._send_counted, count=self._count_socket,
                             ack_ok=self.readers.ack_ok,
                             tokens=lambda: dict(self.evidence.tokens))

    async def _send_counted(self, request: HttpRequest) -> HttpAnswer:
        async with self._limit:
            return await self.client.send(request)

    def _count_socket(self, n: int) -> None:
        self.client.count("socket", n, self.config.contract.socketio.path)

    def _socket_session(self) -> SocketSession:
        return SocketSession(self.config.contract, self.config.base_url, self.config.timeout_s,
                             self.client.timeline, self.ahead)

    async def _session(self, spec: SessionSpec) -> None:
        if spec.transport == "websocket-only":
            self._count_socket(1)
            seen = await self._socket_session().websocket_only()
            self.evidence.websocket_only = WebsocketOpen(seen.wire is not None, seen.seen,
                                                         seen.http, seen.unreachable)
            return
        session = self._socket_session()
        refused = asyncio.Event()  # the refusals are answered: the chain's bad events may go
        chain = self._chain_apart(spec, refused)
        opened = chain[1] if chain else None
        try:
            if spec.transport == "websocket-direct":
                self.evidence.sessions[spec.key] = await session.run(
                    None, spec, spec.transport, self._inputs(), opened)
            else:
                await self._handshake_and_run(session, spec, opened)
        finally:
            refused.set()
            if chain is not None:
                self._merge_chain(spec, await chain[0])

    def _chain_apart(self, spec: SessionSpec, refused: asyncio.Event,
                     ) -> tuple[asyncio.Future[SessionResult], asyncio.Future[bool]] | None:
        """The run's chain (connect, join, post, event, bad events) on a websocket opened
        directly, started now: it does not wait for the handshake's session, which makes
        the refusals meanwhile; its events of the wrong type wait for those (a service they
        crash must not take the refusals' evidence with it)."""
        if not spec.chain_apart:
            return None
        opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        session = self._socket_session()
        session.before_bad_events = refused
        chain = asyncio.ensure_future(session.run(
            None, replace(spec, refusals=()), "websocket-direct", self._inputs(),
            opened=opened))
        return chain, opened

    def _merge_chain(self, spec: SessionSpec, chained: SessionResult) -> None:
        """The chain's steps join the session's record (its upgrade and refusals stay), when
        the chain's websocket opened and the handshake's session exists: a client whose
        handshake is refused gets no further, so neither do the checks after it."""
        upgraded = self.evidence.sessions.get(spec.key)
        if not chained.upgrade_ok or upgraded is None or not upgraded.path:
            return
        for result in (upgraded, self.evidence.fallback):
            if result is None:
                continue
            for name in CHAIN_FIELDS:
                setattr(result, name, getattr(chained, name))
            result.connects.update(chained.connects)
            result.steps.update(chained.steps)

    async def _handshake_and_run(self, session: SocketSession, spec: SessionSpec,
                                 chain: asyncio.Future[bool] | None) -> None:
        handshake = await self.send_key(spec.handshake)
        assert handshake is not None, "a session's handshake is always planned"
        plain = self.plan.follow_up(HANDSHAKE_REFUSED_WITH_ORIGIN)
        if not _is_open_packet(handshake) and self.config.origin and plain is not None:
            handshake = await self.send(plain.request)
        result = await session.run(handshake, spec, spec.transport, self._inputs(), chain)
        self.evidence.sessions[spec.key] = result
        fallback = self.plan.follow_up(UPGRADE_FAILED)
        if not result.upgrade_ok and _is_open_packet(handshake) and fallback is not None:
            fresh = await self.send(fallback.request)
            self.evidence.fallback = await session.run(fresh, spec, "polling", self._inputs(),
                                                       chain)

    async def expand(self, follow_ups: Iterable[FollowUp]) -> None:
        """Send the plan's follow-ups the engine asked for; the plan then holds their checks."""
        wanted = list(follow_ups)
        self.plan = self.plan.with_follow_ups(wanted)
        await asyncio.gather(*(self.send(f.request) for f in wanted))

    async def remeasure(self, keys: list[str]) -> None:
        """Send these probes again one at a time, alone: latency judged without our load."""
        for key in keys:
            request = self.plan.request(key)
            if request is None:
                continue
            answer = await self.client.send(replace(request, key=f"{key}:quiet"))
            original = self.evidence.answers.get(key)
            if original is not None and answer.error is None:
                original.quiet_elapsed_s = answer.elapsed_s


def _websockets(spec: SessionSpec) -> int:
    """The websockets a session opens when all goes well: its own, the refusals' wire, a
    second member, each listener."""
    if spec.transport == "websocket-only":
        return 1
    return 1 + int(spec.chain_apart) + int(spec.second_member) + len(spec.listeners)


def _is_open_packet(answer: HttpAnswer) -> bool:
    try:
        parse_open_packet(answer.text)
    except HandshakeError:
        return False
    return answer.status == 200
