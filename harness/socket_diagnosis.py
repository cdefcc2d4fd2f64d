"""Socket.IO diagnosis rules (mixed into Diagnoser): which layer broke, and its cause code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.engineio import decode_error
from harness.findings import Finding
from harness.probe import ProbeResult
from harness.socket_evidence import ClientAttempt, RoundTrip, SocketSurvey, WsAttempt, ack_ok

if TYPE_CHECKING:
    from harness.contract import Contract
    from harness.sanitize.redact import Redactor

class SocketRules:
    """Rules from socket evidence to findings; a lower layer's failure is reported as such."""

    contract: Contract
    redactor: Redactor

    if TYPE_CHECKING:
        def evidence(self, result: ProbeResult) -> str: ...
        def finding(self, code: str, message: str,
                    result: ProbeResult | None = None) -> Finding: ...
        def unexpected(self, result: ProbeResult, expected: str) -> Finding: ...
        def handshake(self, result: ProbeResult) -> Finding | None: ...
        def ngrok_code(self, result: ProbeResult) -> str | None: ...

    def ws_evidence(self, attempt: WsAttempt) -> str:
        if attempt.http is not None:
            return self.evidence(attempt.http)
        took = f"{attempt.elapsed_s * 1000:.0f} ms"
        return self.redactor.text(f"{attempt.request_line} -> {attempt.seen} [{took}]")

    def client_evidence(self, attempt: ClientAttempt) -> str:
        took = f"{attempt.elapsed_s * 1000:.0f} ms"
        if attempt.connected:
            outcome = f"connected over {attempt.transport}"
        elif attempt.connect_error is not None:
            outcome = f"connect_error {attempt.connect_error!r}"
        else:
            outcome = attempt.error or "not connected"
        return self.redactor.text(f"python-socketio connect with {attempt.label} "
                                  f"(transports=[{attempt.wanted}]) -> {outcome} [{took}]")

    def upgrade(self, polling: ProbeResult, attempt: WsAttempt | None) -> Finding | None:
        """Websocket with the polling sid: 101, 2probe -> 3probe, 5."""
        if attempt is None:
            return self.handshake(polling) or self.finding(
                "socketio-handshake-failed", "the polling handshake gave no sid to upgrade",
                polling)
        return self._websocket(polling, attempt, "the websocket upgrade of a polling session")

    def websocket_session(self, polling: ProbeResult, attempt: WsAttempt) -> Finding | None:
        """A websocket-only session: 101, then the open packet as the first frame."""
        return self._websocket(polling, attempt, "a websocket-only session")

    def _websocket(self, polling: ProbeResult, attempt: WsAttempt, what: str) -> Finding | None:
        if attempt.ok:
            return None
        below = self.handshake(polling)
        if below is not None:
            return below
        http = attempt.http
        if http is not None and (http.status == 429 or self.ngrok_code(http)):
            return self.unexpected(http, "101 Switching Protocols")
        return Finding("websocket-upgrade-broken", self.redactor.text(
            f"the polling handshake works but {what} failed: {attempt.seen}"),
            self.ws_evidence(attempt))

    def socket_connect(self, attempt: ClientAttempt, survey: SocketSurvey) -> Finding | None:
        """A connect with a valid token succeeds, on the transport that was asked for."""
        if attempt.connected:
            if attempt.transport == attempt.wanted:
                return None
            cause = ("websocket-upgrade-broken" if attempt.wanted == "websocket"
                     else "socketio-handshake-failed")
            return Finding(cause, f"python-socketio connected over {attempt.transport}, not "
                           f"{attempt.wanted}", self.client_evidence(attempt))
        below = self._layer_below(attempt, survey)
        if below is not None:
            return below
        if attempt.timed_out:
            return Finding("no-response", f"the Socket.IO connect over {attempt.wanted} got no "
                           f"answer within {attempt.elapsed_s:.1f} s",
                           self.client_evidence(attempt))
        if attempt.engine_connected and attempt.connect_error is not None:
            return Finding("socketio-handshake-failed", "the server refused the Socket.IO "
                           f"connect with {attempt.label}: "
                           f"{self.redactor.text(_message(attempt.connect_error))}",
                           self.client_evidence(attempt))
        return Finding("socketio-handshake-failed", "python-socketio could not connect over "
                       f"{attempt.wanted}: {self.redactor.text(attempt.error or 'no reason')}",
                       self.client_evidence(attempt))

    def socket_rejection(self, attempt: ClientAttempt, survey: SocketSurvey) -> Finding | None:
        """A connect without a valid token must end in connect_error from the server."""
        if attempt.connected:
            return Finding("socketio-auth-not-enforced", f"the Socket.IO connect with "
                           f"{attempt.label} was accepted (namespace "
                           f"{self.contract.socketio.namespace} connected over "
                           f"{attempt.transport})", self.client_evidence(attempt))
        engine_up = attempt.engine_connected
        if engine_up and attempt.connect_error is not None:
            return None
        below = self._layer_below(attempt, survey)
        if below is not None:
            return below
        if engine_up or attempt.timed_out:
            return Finding("no-response", f"the Socket.IO connect with {attempt.label} was "
                           f"neither accepted nor refused within {attempt.elapsed_s:.1f} s",
                           self.client_evidence(attempt))
        return Finding("socketio-handshake-failed", f"the connect with {attempt.label} could "
                       "not be judged: the Engine.IO connection itself failed: "
                       f"{self.redactor.text(attempt.error or 'no reason')}",
                       self.client_evidence(attempt))

    def _layer_below(self, attempt: ClientAttempt, survey: SocketSurvey) -> Finding | None:
        below = self.handshake(survey.polling)
        if below is None and attempt.wanted == "websocket":
            below = self.websocket_session(survey.polling, survey.websocket_only)
        return below

    def cors(self, result: ProbeResult, polling: ProbeResult, origin: str) -> Finding | None:
        """The handshake with `Origin` is answered, and allows that origin."""
        allowed = result.headers.get("access-control-allow-origin")
        if result.status == 200 and allowed in (origin, "*"):
            return None
        below = self.handshake(polling)
        if below is not None:
            return below
        if result.status == 200:
            header = (f"with Access-Control-Allow-Origin {allowed!r}" if allowed
                      else "without Access-Control-Allow-Origin")
            return self.finding("socketio-cors-blocked", f"the handshake with Origin {origin} "
                                f"answered 200 {header}: a browser on that origin cannot "
                                "read it", result)
        if result.status in (400, 403):
            reason = decode_error(result.text) or f"status {result.status}"
            return self.finding("socketio-cors-blocked", f"the handshake with Origin {origin} "
                                f"was refused ({reason}) while the same handshake without an "
                                "Origin works", result)
        return self.unexpected(result, f"a 200 open packet allowing Origin {origin}")

    def realtime(self, trip: RoundTrip, survey: SocketSurvey) -> Finding | None:
        """The posted message comes back as the contract's event within its budget."""
        if trip.event is not None:
            return None
        spec, flow = self.contract.socketio, self.contract.flow
        if trip.client is None or not trip.client.connected:
            assert trip.client is not None, "the round trip always records its connect"
            return self.socket_connect(trip.client, survey) or Finding(
                "socketio-handshake-failed", "the realtime client did not connect",
                self.client_evidence(trip.client))
        if trip.conversation_id is None:
            create = trip.create
            assert create is not None, "without a contract conversation the trip creates one"
            if create.status not in flow.created_statuses:
                return self.unexpected(create, f"{_statuses(flow.created_statuses)} with an id")
            return self.finding("realtime-event-missing", "the conversation was created but "
                                f"its answer has no id ({', '.join(flow.id_fields)}), so "
                                "there is nothing to join", create)
        if trip.ack_error is not None or not ack_ok(trip.ack):
            reason = trip.ack_error or f"the ack says {trip.ack!r}"
            return Finding("realtime-event-missing", self.redactor.text(
                f"{spec.join_event} of conversation {trip.conversation_id} was not "
                f"acknowledged: {reason}"), self.client_evidence(trip.client))
        post = trip.post
        assert post is not None, "a joined round trip always posts"
        if post.status not in flow.created_statuses:
            return self.unexpected(post, _statuses(flow.created_statuses))
        others = f" ({trip.events_seen} other {spec.message_event} events)" \
            if trip.events_seen else ""
        return self.finding("realtime-event-missing", f"the message was posted ({post.status}) "
                            f"to conversation {trip.conversation_id}, but no "
                            f"{spec.message_event} with its text arrived within "
                            f"{spec.event_budget_ms} ms{others}", post)


def _message(data: object) -> str:
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return repr(data)


def _statuses(statuses: list[int]) -> str:
    return " or ".join(str(s) for s in statuses)
