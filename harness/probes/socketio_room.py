"""The room part of a Socket.IO session: the join, the post and the wait for the message
event, the other identities in the room (peer, outsider) with their deliveries counted, and
the events sent empty and with a wrong type afterwards. A mixin of `SocketSession`, which
owns the connection steps (`_open`, `_reopen`, `connect_attempt`, `_join`, `_next`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from harness.contract import Contract
from harness.contract.model import SocketIO
from harness.probes.socketio_wire import (
    CLOSE_ERRORS,
    CONNECT,
    CONNECT_ERROR,
    EVENT,
    Transport,
    encode,
)
from harness.records.engineio import HandshakeError, handshake_path, parse_open_packet
from harness.records.http import HttpRequest
from harness.records.plan import SessionSpec
from harness.records.session import Listener, SessionResult
from harness.records.timeline import Span

if TYPE_CHECKING:
    from harness.probes.socketio_session import SessionInputs

SETTLE_S = 0.5  # with a peer or an outsider: how long every wire is read after the delivery
# after the events of the wrong type, before asking whether it still runs: a handler that
# throws (at once, or when its database answers) has taken the process down by then
PROBE_SETTLE_S = 0.1
ALIVE_NAMESPACE = "/smoke-harness-alive"  # no server has it: any answer says it still runs


class RoomSteps:
    """The steps after the run's connect was accepted."""

    contract: Contract
    spec: SocketIO
    polling_base: str
    timeout_s: float
    before_bad_events: asyncio.Event | None

    def step(self, result: SessionResult, name: str, started: float, ok: bool = True,
             ended: float | None = None) -> Span:
        """Record one step of the session on the run's timeline."""
        raise NotImplementedError

    def notification_session(self) -> Any:
        """A session on the separate notification server (`notifications.url`), or None."""
        raise NotImplementedError

    async def _realtime(self, wire: Transport, plan: SessionSpec, inputs: SessionInputs,
                        result: SessionResult,
                        others: asyncio.Future[dict[str, Transport]]) -> None:
        """Join the run's room, with the other identities joining it on their own wires
        (`others`, started with the session), then post and wait for the event."""
        result.conversation_id, result.no_conversation = await inputs.conversation()
        if result.conversation_id is None:
            await close_all(await others)
            return
        try:
            await self._join(wire, result, inputs.ack_ok)
        finally:
            listeners = await others  # joined meanwhile, on connections of their own
            if not result.joined:
                await close_all(listeners)
        if not result.joined:
            return
        try:
            await self._post_and_wait(wire, inputs, result, listeners)
        finally:
            await close_all(listeners)

    async def _probe_events(self, wire: Transport, plan: SessionSpec, inputs: SessionInputs,
                            result: SessionResult) -> None:
        """Each event once with no payload and once with a payload of the wrong type, on the
        run's own connection after its real steps; then the service must still answer (an
        error ack or event is fine, a crash is not): on the same connection when it is still
        open, else on one new handshake."""
        if self.before_bad_events is not None:
            await self.before_bad_events.wait()
        with contextlib.suppress(*CLOSE_ERRORS, ConnectionError):
            for event in plan.probe_events:
                await wire.send(encode(EVENT, self.spec.namespace, [event]))
                await wire.send(encode(EVENT, self.spec.namespace, [event, 12345]))
                result.probed_events.append(event)
            await asyncio.sleep(PROBE_SETTLE_S)
        if not wire.closed:  # this wire asks, at no request's cost
            alive, seen = await self._still_answers(wire, result)
            if alive is not None:
                result.alive_after_probes, result.after_probes_seen = alive, seen
                return
        if result.transport == "websocket-direct":
            opened = await self._open("", result.transport, SessionResult(result.transport),
                                      inputs)
            result.alive_after_probes = opened is not None
            if opened is not None:
                with contextlib.suppress(*CLOSE_ERRORS):
                    await opened.close()
            return
        answer = await inputs.send_http(HttpRequest(
            "socket:after-bad-events", "GET", handshake_path(self.polling_base), "socket",
            label="Engine.IO handshake after the events of the wrong type"))
        result.after_probes = answer
        try:
            parse_open_packet(answer.text)
            result.alive_after_probes = answer.status == 200
        except HandshakeError:
            result.alive_after_probes = False

    async def _still_answers(self, wire: Transport,
                             result: SessionResult) -> tuple[bool | None, str]:
        """A connect to a namespace no server has must be answered (refused, or accepted by
        a server that takes any): the service still runs. None when the wire is gone."""
        started = time.perf_counter()
        with contextlib.suppress(*CLOSE_ERRORS, ConnectionError):
            await wire.send(encode(CONNECT, ALIVE_NAMESPACE))
            try:
                await self._next(wire, lambda p: p.type in (CONNECT, CONNECT_ERROR),
                                 namespace=ALIVE_NAMESPACE)
            except (asyncio.TimeoutError, TimeoutError):
                self.step(result, "still answers", started, False)
                return False, (f"no answer on its open connection within {self.timeout_s:g} s "
                               f"(a connect to {ALIVE_NAMESPACE})")
            self.step(result, "still answers", started)
            return True, "the service still answered on the same connection"
        return None, ""

    async def _listeners(self, roles: tuple[str, ...], inputs: SessionInputs,
                         result: SessionResult) -> dict[str, Transport]:
        """The identities that join the run's room on connections of their own (the outsider
        stays connected whatever its join said: it must receive nothing); each opens its
        connection at once and joins once the run's conversation exists."""
        await inputs.token()  # the logins have answered: every identity's token is known
        tokens = inputs.tokens()

        async def join(role: str) -> tuple[str, Transport | None]:
            listener = result.listeners[role] = Listener(role)
            if role not in tokens:
                return role, None
            wire = await self._reopen(result.transport, inputs)
            conversation, _ = await inputs.conversation()
            if wire is not None and conversation is None:
                with contextlib.suppress(*CLOSE_ERRORS):
                    await wire.close()
                return role, None
            if wire is None:
                return role, None
            listener.connect = await self.connect_attempt(wire, f"{role}-token", tokens[role])
            self.step(result, f"{role} connect", listener.connect.started,
                      listener.connect.accepted)
            if not listener.connect.accepted:
                with contextlib.suppress(*CLOSE_ERRORS):
                    await wire.close()
                return role, None
            joined = SessionResult(result.transport, conversation_id=conversation)
            await self._join(wire, joined, inputs.ack_ok, step=f"{role} join")
            result.steps.update(joined.steps)
            listener.joined, listener.join_reply = joined.joined, joined.join_reply
            listener.join_error = joined.join_error
            return role, wire

        async def subscribe(role: str) -> tuple[str, Transport | None]:
            """The identity on the separate notification server (no join: per user)."""
            notifier = self.notification_session()
            if notifier is None or role not in tokens:
                return f"{role}-notify", None
            wire = await notifier._reopen("websocket", inputs)
            if wire is not None and not (await notifier.connect_attempt(
                    wire, f"{role}-token", tokens[role])).accepted:
                with contextlib.suppress(*CLOSE_ERRORS):
                    await wire.close()
                wire = None
            return f"{role}-notify", wire

        if self.contract.notifications is not None:
            result.deliveries = {f"{role}-notifications": 0 for role in roles}
        opened = await asyncio.gather(*(join(role) for role in roles),
                                      *(subscribe(role) for role in roles))
        return {role: wire for role, wire in opened if wire is not None}

    async def _post_and_wait(self, wire: Transport, inputs: SessionInputs,
                             result: SessionResult, listeners: dict[str, Transport]) -> None:
        flow = self.contract.flow
        result.text = f"{flow.tag_prefix}realtime-{int(time.time() * 1000)}"
        conversation = result.conversation_id or ""
        if not flow.message_via.startswith("socket:"):
            result.post = await inputs.post(conversation, result.text)
            if result.post is None or result.post.status not in flow.created_statuses:
                return
            await self._await_message({"sender": wire, **listeners}, result)
            return
        member = await self._second_member(inputs, conversation, result.transport)
        try:
            event = flow.message_via.split(":", 1)[1]
            await wire.send(encode(EVENT, self.spec.namespace, [event, {
                flow.conversation_field: conversation, flow.text_field: result.text}], 2))
            wires = {"sender": wire, **({"member": member} if member else {}), **listeners}
            await self._await_message(wires, result)
        finally:
            if member is not None:
                with contextlib.suppress(*CLOSE_ERRORS):
                    await member.close()

    async def _second_member(self, inputs: SessionInputs, conversation: str,
                             transport: str) -> Transport | None:
        """Another client in the room: a server that announces with `socket.to(room)` skips
        the sender, so a message sent over the socket is awaited on a second connection too."""
        token = await inputs.token()
        wire = await self._reopen(transport, inputs) if token else None
        if wire is None:
            return None
        joined = SessionResult(transport, conversation_id=conversation)
        if (await self.connect_attempt(wire, "valid-token", token)).accepted:
            await self._join(wire, joined, inputs.ack_ok, step="member join")
        if not joined.joined:
            with contextlib.suppress(*CLOSE_ERRORS):
                await wire.close()
            return None
        return wire

    async def _await_message(self, wires: dict[str, Transport],
                             result: SessionResult) -> None:
        """The contract's message event carrying our text, on the run's own wires ("sender",
        "member"), within budget. With listeners (peer, outsider) every wire is read on for
        `SETTLE_S` after the first delivery, and each one's deliveries are counted: a member
        must get the message once, the outsider never."""
        started = time.perf_counter()
        try:
            await self._watch_wires(wires, result, started)
        finally:
            after = result.event_after_s
            self.step(result, "event", started, after is not None,
                      ended=None if after is None else started + after)

    async def _watch_wires(self, wires: dict[str, Transport], result: SessionResult,
                           started: float) -> None:
        deadline = [started + self.spec.event_budget_ms / 1000]
        counting = any(role not in ("sender", "member") for role in wires)
        result.deliveries = {**{role: 0 for role in wires if not role.endswith("-notify")},
                             **result.deliveries}
        notifications = self.contract.notifications
        notified = notifications.event if notifications else None
        separate = bool(notifications and notifications.url)  # count there only

        async def watch(role: str, wire: Transport) -> None:
            while (left := deadline[0] - time.perf_counter()) > 0:
                packet = await self._next(wire, lambda p: p.type == EVENT, left)
                name, *args = packet.data if isinstance(packet.data, list) else [None]
                payload = json.dumps(args)
                carries = result.text in payload
                if notified and name == notified and (role.endswith("-notify") or not separate) \
                        and (carries or (result.conversation_id and
                                         result.conversation_id in payload)):
                    key = f"{role.removesuffix('-notify')}-notifications"
                    result.deliveries[key] = result.deliveries.get(key, 0) + 1
                    if result.event is not None:  # the message came first: settle from now
                        deadline[0] = min(deadline[0], time.perf_counter() + SETTLE_S)
                        changed.set()
                    continue
                if role.endswith("-notify"):
                    continue
                own = role in ("sender", "member")
                if name == self.spec.message_event and own:
                    result.events_seen += 1
                if not carries:
                    continue
                if name != self.spec.message_event:
                    if own and isinstance(name, str):
                        result.text_came_as = name
                    if role == "outsider":
                        result.deliveries[role] += 1
                    continue
                result.deliveries[role] += 1
                if own and result.event is None:
                    result.event = args
                    result.event_after_s = time.perf_counter() - started
                    settle = SETTLE_S if counting else 0.0
                    result.settle_s = settle
                    if not awaiting_notification():  # else: until it comes, within budget
                        deadline[0] = min(deadline[0], time.perf_counter() + settle)
                        changed.set()

        def awaiting_notification() -> bool:
            """A notification is checked and the peer's has not come yet."""
            return bool(notified) and "peer-notifications" in result.deliveries and \
                result.deliveries["peer-notifications"] == 0

        async def guarded(role: str, wire: Transport) -> None:
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError, *CLOSE_ERRORS,
                                     ConnectionError):
                await watch(role, wire)

        changed = asyncio.Event()
        tasks = [asyncio.ensure_future(guarded(role, wire)) for role, wire in wires.items()]
        try:
            while (left := deadline[0] - time.perf_counter()) > 0:
                pending = [task for task in tasks if not task.done()]
                if not pending:
                    break
                waiter = asyncio.ensure_future(changed.wait())
                await asyncio.wait([*pending, waiter], timeout=left,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                changed.clear()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def close_all(wires: dict[str, Transport]) -> None:
    for wire in wires.values():
        with contextlib.suppress(*CLOSE_ERRORS):
            await wire.close()
