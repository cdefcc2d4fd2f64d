"""Dispatch: each check's family to its rule, over the evidence the executor gathered."""

from __future__ import annotations

from collections.abc import Callable

from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.outcomes import Blocked
from harness.judge.rules import health, logs, rest, socket
from harness.plan.health import log_ports
from harness.plan.socket import HANDSHAKE, SESSION
from harness.probes.execute import PLAIN_HANDSHAKE, Evidence
from harness.probes.logscan import PORT_CHECK, port_hits, signature_hits
from harness.records.http import HttpAnswer
from harness.records.plan import Check, Family
from harness.records.session import SessionResult

Result = Finding | str | Blocked | None
NOT_SENT = "not sent: the run's request budget (--max-requests or the target's rate limit)"


class Judge:
    """Judges checks one by one; `judge(check)` returns a Finding, a reason, Blocked or None."""

    def __init__(self, ctx: Context, evidence: Evidence) -> None:
        self.ctx = ctx
        self.evidence = evidence
        self.rules: dict[Family, Callable[[Check], Result]] = {
            Family.LOGIN: self._login, Family.AUTH: self._auth, Family.BAD_BODY: self._bad_body,
            Family.LIST: self._list, Family.CREATE: self._create, Family.POST: self._post,
            Family.UNKNOWN_ROUTE: self._unknown, Family.HANDSHAKE: self._handshake,
            Family.CORS: self._cors, Family.UPGRADE: self._upgrade,
            Family.CONNECT_REFUSED: self._refusal, Family.CONNECT: self._connect,
            Family.REALTIME: self._realtime, Family.WEBSOCKET_ONLY: self._websocket_only,
            Family.HEALTH_DOCUMENT: self._document,
            Family.AGGREGATE: self._aggregate, Family.ALIAS: self._alias,
            Family.SERVICE_MAP: self._service_map, Family.SERVICE_LOG: self._log,
            Family.TUNNEL: self._tunnel,
        }

    def judge(self, check: Check) -> Result:
        """The check's result; a bug in a rule is said as such, never a traceback."""
        try:
            return self.rules[check.family](check)
        except Exception as exc:  # noqa: BLE001 - reported as the harness's own failure
            return (f"the harness could not judge this check ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); please report it")

    def answer(self, check: Check, index: int = 0) -> HttpAnswer | str | None:
        answer = self.evidence.answers.get(check.probes[index])
        if answer is not None and answer.error == "refused-by-budget":
            return NOT_SENT
        return answer

    def _answered(self, check: Check, rule: Callable[..., Finding | None], *args: object,
                  missing: str = "") -> Result:
        answer = self.answer(check)
        if isinstance(answer, str):
            return answer
        if answer is None:
            problem = self.evidence.token_problem
            return (f"no token ({problem})" if problem else "") or missing or \
                "no token to send it with"
        return rule(self.ctx, answer, *args)

    def _login(self, check: Check) -> Result:
        return self._answered(check, rest.login, bool(self.evidence.token))

    def _auth(self, check: Check) -> Result:
        return self._answered(check, rest.auth_rejection,
                              self.ctx.contract.auth.accepted_statuses)

    def _bad_body(self, check: Check) -> Result:
        return self._answered(check, rest.bad_body, check.params["with_token"],
                              self.ctx.config.strict)

    def _list(self, check: Check) -> Result:
        if check.params.get("placeholders") and self.evidence.conversation_id is None \
                and self.evidence.token:
            return ("no conversation for {conversation_id}: set flow.conversation_id (or let "
                    "the run create one: not with --read-only)")
        return self._answered(check, rest.own_answer, [200])

    def _create(self, check: Check) -> Result:
        flow = self.ctx.contract.flow
        return self._answered(check, rest.created, flow.created_statuses, flow.id_fields)

    def _post(self, check: Check) -> Result:
        return self._answered(check, rest.own_answer, self.ctx.contract.flow.created_statuses,
                              missing="no conversation to post to")

    def _unknown(self, check: Check) -> Result:
        statuses = self.ctx.contract.unknown_route_statuses
        answer = self.answer(check)
        if isinstance(answer, str) or answer is None:
            return answer or NOT_SENT
        return rest.own_answer(self.ctx, answer, statuses, json=False)

    def _plain_handshake(self) -> HttpAnswer | None:
        return self.evidence.answers.get(PLAIN_HANDSHAKE) or self.evidence.answers.get(HANDSHAKE)

    def _handshake(self, check: Check) -> Result:
        answer = self._plain_handshake()
        return NOT_SENT if answer is None else socket.handshake(self.ctx, answer)

    def _cors(self, check: Check) -> Result:
        answer = self.evidence.answers.get(HANDSHAKE)
        if answer is None:
            return NOT_SENT
        return socket.cors(self.ctx, answer, self.ctx.config.origin or "")

    def _session(self, check: Check) -> SessionResult | None:
        return self.evidence.sessions.get(SESSION)

    def _upgrade(self, check: Check) -> Result:
        session = self._session(check)
        return NOT_SENT if session is None else socket.upgrade(self.ctx, session)

    def _working_session(self, check: Check) -> SessionResult | None:
        session = self._session(check)
        if session is not None and not session.upgrade_ok and self.evidence.fallback:
            return self.evidence.fallback
        return session

    def _websocket_only(self, check: Check) -> Result:
        if SESSION in check.probes:  # the server takes websockets only: the session's open
            session = self._session(check)
            return NOT_SENT if session is None else socket.websocket_only(
                self.ctx, session.upgrade_ok, session.upgrade_seen, session.upgrade_http)
        seen = self.evidence.websocket_only
        return NOT_SENT if seen is None else socket.websocket_only(
            self.ctx, seen.wire is not None, seen.seen, seen.http)

    def _opened_by(self, session: SessionResult | None) -> Blocked:
        """Blocked by the check that opens the session: the upgrade, or the websocket-only
        open of a server that takes websockets only."""
        if session is not None and session.transport == "websocket-direct":
            return Blocked(f"{Family.WEBSOCKET_ONLY.test_name}[websocket-only]")
        return Blocked(f"{Family.UPGRADE.test_name}[websocket]")

    def _refusal(self, check: Check) -> Result:
        session = self._working_session(check)
        attempt = session.connects.get(check.params["variant"]) if session else None
        if attempt is None:
            return self._opened_by(session)
        return socket.refusal(self.ctx, attempt, session.transport)

    def _connect(self, check: Check) -> Result:
        session = self._session(check)
        attempt = session.connects.get("valid-token") if session else None
        if attempt is None:
            return self._opened_by(session) if session and not session.upgrade_ok else \
                self._no_token()
        return socket.connect(self.ctx, attempt, session.transport)

    def _no_token(self) -> str:
        """Why there is no token, worded so that redaction of `token: value` leaves it whole."""
        problem = self.evidence.token_problem
        return f"no token ({problem})" if problem else "no token to connect with"

    def _realtime(self, check: Check) -> Result:
        session = self._working_session(check)
        attempt = session.connects.get("valid-token") if session else None
        if session is not None and attempt is None and session.upgrade_ok:
            return self._no_token()
        if session is None or attempt is None:
            return self._opened_by(session)
        if not attempt.accepted:
            return Blocked(f"{Family.CONNECT.test_name}[websocket-token]")
        if session.conversation_id is None:
            return session.no_conversation or "no conversation to join"
        return socket.realtime(self.ctx, session)

    def _document(self, check: Check) -> Result:
        return self._answered(check, self._document_and_latency, check.params["budget_ms"])

    @staticmethod
    def _document_and_latency(ctx: Context, answer: HttpAnswer,
                              budget_ms: int) -> Finding | None:
        return health.document(ctx, answer) or health.latency(ctx, answer, budget_ms)

    def _aggregate(self, check: Check) -> Result:
        def rule(ctx: Context, answer: HttpAnswer, name: str, budget: int) -> Finding | None:
            return health.aggregate_service(ctx, answer, name) or \
                health.latency(ctx, answer, budget)
        return self._answered(check, rule, check.params["service"], check.params["budget_ms"])

    def _alias(self, check: Check) -> Result:
        def rule(ctx: Context, answer: HttpAnswer, name: str, budget: int) -> Finding | None:
            return health.service_health(ctx, answer, name) or \
                health.latency(ctx, answer, budget)
        return self._answered(check, rule, check.params["service"], check.params["budget_ms"])

    def _service_map(self, check: Check) -> Result:
        return self._answered(check, health.service_map, self.ctx.config.expected_services)

    def _log(self, check: Check) -> Result:
        path, name = check.params["path"], check.params["signature"]
        rules = self.ctx.contract.service_logs
        if name != PORT_CHECK:
            signature = next(s for s in rules.signatures if s.name == name)
            return logs.log_warning(self.ctx, signature_hits(path, signature, rules),
                                    signature.meaning)
        ports = log_ports(self.ctx.config)
        expected = " or ".join(str(port) for port in sorted(ports))
        return logs.log_warning(self.ctx, port_hits(path, rules, ports),
                                f"a service runs on a port other than the expected {expected}")

    def _tunnel(self, check: Check) -> Result:
        from harness.judge.causes import Cause

        api = self.ctx.config.ngrok_api or ""
        tunnels = self.evidence.tunnels
        if tunnels is None:
            return NOT_SENT
        if isinstance(tunnels, str):
            return self.ctx.finding(Cause.NGROK_TUNNEL_OFFLINE, tunnels)
        if not tunnels:
            return self.ctx.finding(Cause.NGROK_TUNNEL_OFFLINE, f"the ngrok agent at {api} has "
                                    "no tunnel: start one with `ngrok http <port>`")
        expected = self.ctx.contract.ngrok.expected_upstream_port
        for state in tunnels:
            found = health.tunnel_upstream(self.ctx, state.tunnel, state.listening, expected)
            if found is not None:
                return found
        return None
