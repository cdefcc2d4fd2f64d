"""Who receives a conversation's messages over Socket.IO: its members, once, and nobody else.

The outsider (a user who is not a member) connects, joins the run's conversation and listens:
the join must be refused (an error ack, an error event, a disconnect or no confirmation) and,
whatever the join said, it must receive nothing of the run's message. The peer (a member) must
receive the message exactly once, and the sender at most once (servers that broadcast with
`socket.to(room)` skip the sender), counted until a settle window (0.5 s) after the message
reached the run's own connection: a copy later than that is not seen.
"""

from __future__ import annotations

from harness.judge.causes import Cause
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Result, rule
from harness.judge.rules.authorization import identity_refused
from harness.judge.rules.rest import user_id_how
from harness.records.keys import CREATE
from harness.records.outcome import NotTested
from harness.records.plan import Check
from harness.records.session import Listener, SessionResult
from harness.sanitize.escape import safe_excerpt


def evidence(session: SessionResult) -> str:
    """The room as the run saw it: each connection's deliveries and the identities' joins."""
    counts = ", ".join(f"{role} {n}" for role, n in session.deliveries.items())
    joins = "; ".join(f"{role}'s join: " + (
        "refused" if listener.joined is False else "confirmed" if listener.joined else
        "not answered") + (f" {safe_excerpt(repr(listener.join_reply), 80)}"
                           if listener.join_reply is not None else "")
        for role, listener in session.listeners.items())
    return f"conversation {session.conversation_id}, message {session.text!r}: deliveries " \
           f"{counts or 'none'}; {joins}"


def join_said(listener: Listener, join_confirm: str) -> str:
    """What an identity's join answered, in words: confirmed (by the ack or the contract's
    event), refused (an error ack or event), unanswered, or silent (`join_confirm: none`)."""
    reply = safe_excerpt(repr(listener.join_reply), 120)
    if listener.joined is None:
        return "was not answered"
    if listener.joined is False:
        return f"was refused ({reply if listener.join_reply is not None else listener.join_error})"
    if join_confirm == "none":
        return "said nothing (join_confirm: none: no error counts as joined)"
    how = "its ack" if join_confirm == "ack" else f"the {join_confirm.split(':', 1)[1]!r} event"
    return f"was confirmed by {how} {reply}"


def counted_window(session: SessionResult, budget_ms: int, notified: bool) -> str:
    """How long deliveries were counted: every wire is read until the settle window after the
    message reached the run's own connection (or the peer's notification, when it came later;
    the outsider's proof of nothing shares the window), or the whole event budget when the
    message never came."""
    if session.event_after_s is None:
        return f"within the {budget_ms} ms event budget"
    return f"counted until {session.settle_s * 1000:.0f} ms after the message reached the " \
           f"run's own connection{' (or the peer its notification)' if notified else ''}; " \
           f"the event budget is {budget_ms} ms"


def _listener(judge: Judge, role: str) -> tuple[SessionResult, Listener] | NotTested:
    session = judge.working_session()
    if session is None:
        return NOT_SENT
    listener = session.listeners.get(role)
    if listener is None or not session.text:
        return NotTested(f"the run did not get as far as posting a message with the {role} "
                         "in the room")
    if listener.connect is None:
        return identity_refused(judge, role) or \
            NotTested(f"no token for the {role}, or no Socket.IO session for it")
    if not listener.connect.accepted:
        data = safe_excerpt(repr(listener.connect.data), 120)
        return NotTested(f"the {role}'s token was refused on connect ({data}): its checks "
                         "could not run")
    return session, listener


@rule("room-access", shown_by="suites/socket/test_rooms.py::test_outsider_stays_out")
def room_access_check(judge: Judge, check: Check) -> Result:
    found = _listener(judge, "outsider")
    if isinstance(found, NotTested):
        return found
    session, outsider = found
    conversation = session.conversation_id
    received = session.deliveries.get("outsider", 0)
    notified = session.deliveries.get("outsider-notifications", 0)
    if notified:
        event = judge.ctx.contract.notifications.event  # type: ignore[union-attr]
        return judge.ctx.finding(Cause.ROOM_ACCESS_NOT_ENFORCED, f"the outsider (not a member) "
                                 f"got {notified} {event!r} notification(s) of the run's message "
                                 f"in conversation {conversation}",
                                 evidence=evidence(session), socket=True)
    said = join_said(outsider, judge.ctx.contract.socketio.join_confirm)
    if outsider.joined and judge.ctx.contract.socketio.join_confirm != "none":
        return judge.ctx.finding(Cause.ROOM_ACCESS_NOT_ENFORCED, f"the outsider (not a member) "
                                 f"joined conversation {conversation}: its join {said}" +
                                 (f", and it received the run's message {received}x"
                                  if received else ""),
                                 evidence=evidence(session), socket=True)
    if received:
        return judge.ctx.finding(Cause.ROOM_ACCESS_NOT_ENFORCED, f"the outsider (not a member) "
                                 f"received the run's message in conversation {conversation} "
                                 f"{received}x, although its join {said}",
                                 evidence=evidence(session), socket=True)
    return None


def peer_left_out(judge: Judge) -> NotTested | None:
    """The create names the peer (`{peer_id}`) but its id is not known: the conversation was
    created without it (a placeholder is never sent), so it is no member to count."""
    create = judge.evidence.answers.get(CREATE)
    if create is None or b"{peer_id}" not in (create.request.body or b"") or \
            "peer" in judge.evidence.user_ids:
        return None
    return NotTested(f"the peer's id is not known ({user_id_how(judge, 'peer')}): the run's "
                     "conversation was created without it")


@rule("delivery", shown_by="suites/socket/test_rooms.py::test_delivered_once")
def delivery_check(judge: Judge, check: Check) -> Result:
    found = _listener(judge, "peer")
    if isinstance(found, NotTested):
        return found
    session, peer = found
    unnamed = peer_left_out(judge)
    if unnamed is not None:
        return unnamed
    event = judge.ctx.contract.socketio.message_event
    if peer.joined is False:
        said = safe_excerpt(repr(peer.join_reply), 120) if peer.join_reply is not None else \
            peer.join_error or "no confirmation"
        return judge.ctx.finding(Cause.CONTRACT_MISMATCH, f"the peer could not join the run's "
                                 f"conversation ({said}): the server does not count it as a "
                                 "member; create the conversation with the peer "
                                 "(participants: [\"{peer_id}\"])", evidence=evidence(session),
                                 socket=True)
    counts = session.deliveries
    notifications = judge.ctx.contract.notifications
    window = counted_window(session, judge.ctx.contract.socketio.event_budget_ms,
                            notifications is not None)
    if counts.get("peer", 0) == 0:
        return judge.ctx.finding(Cause.REALTIME_EVENT_MISSING, f"the peer (a member of the "
                                 f"conversation) received no {event!r} for the run's message "
                                 f"({window})", evidence=evidence(session),
                                 socket=True)
    twice = [f"the {who} {counts[role]}x {event!r}" for role, who in (("peer", "peer"),
                                                             ("sender", "sender"),
                                                             ("member", "sender's 2nd socket"))
             if counts.get(role, 0) > 1]
    if notifications is not None:
        got = counts.get("peer-notifications", 0)
        if got == 0:
            return judge.ctx.finding(Cause.REALTIME_EVENT_MISSING, f"the peer received no "
                                     f"{notifications.event!r} notification for the run's "
                                     f"message ({window})", evidence=evidence(session),
                                     socket=True)
        if got > 1:
            twice.append(f"the peer's {notifications.event!r} notification {got}x")
    if twice:
        return judge.ctx.finding(Cause.DUPLICATE_DELIVERY, f"one message was delivered more than "
                                 f"once: {', '.join(twice)} ({window})",
                                 evidence=evidence(session), socket=True)
    return None
