"""The Socket.IO part of a plan: one handshake and one session serve every socket check."""

from __future__ import annotations

from harness.config import RunConfig
from harness.plan.inputs import probe_events
from harness.plan.rest import LOGIN_KEY
from harness.records.engineio import handshake_path
from harness.records.http import HttpRequest
from harness.records.keys import (
    CREATE,
    HANDSHAKE,
    HANDSHAKE_REFUSED_WITH_ORIGIN,
    PLAIN_HANDSHAKE,
    POLLING_HANDSHAKE,
    SESSION,
    UPGRADE_FAILED,
    WEBSOCKET_ONLY,
)
from harness.records.plan import Check, FollowUp, SessionSpec, check_key

REFUSALS = ("no-token", "forged-token")


def socket_base(config: RunConfig) -> str:
    """Where Socket.IO requests go: the gateway (a path), or socketio.url (an absolute URL)."""
    spec = config.contract.socketio
    path = "/" + spec.path.strip("/") + "/"
    return spec.url.rstrip("/") + path if spec.url else path


def handshake_request(config: RunConfig, origin: str | None, key: str = HANDSHAKE) -> HttpRequest:
    headers = (("origin", origin),) if origin else ()
    label = f"Engine.IO polling handshake{f', Origin: {origin}' if origin else ''}"
    return HttpRequest(key, "GET", handshake_path(socket_base(config)), "socket",
                       headers, label=label)


def follow_ups(config: RunConfig) -> list[FollowUp]:
    """The handshake again without Origin (when the one with it was refused), and a fresh
    polling handshake for a polling session (when the upgrade broke)."""
    if not config.contract.socketio.polling:
        return []
    return [FollowUp(HANDSHAKE_REFUSED_WITH_ORIGIN,
                     handshake_request(config, None, PLAIN_HANDSHAKE)),
            FollowUp(UPGRADE_FAILED, handshake_request(config, None, POLLING_HANDSHAKE))]


def socket_checks(config: RunConfig, create_planned: bool,
                  ) -> tuple[list[Check], list[HttpRequest], list[SessionSpec]]:
    """Handshake (with the origin, which also serves CORS), then one session upgrading that
    handshake's sid: refusals without and with a forged token, the authenticated connect,
    and the realtime round trip. A server that takes websockets only (socketio.transports)
    gets one session opened over websocket directly instead of the handshake and upgrade."""
    polling = config.contract.socketio.polling
    if polling:
        handshake = [handshake_request(config, config.origin)]
        checks = [Check("polling", "handshake", (HANDSHAKE,), priority=0)]
        hs_key = checks[0].key
        checks.append(Check("origin", "cors", (HANDSHAKE,), needs=("origin",),
                            after=(hs_key,), priority=2))
        checks.append(Check("websocket", "upgrade", (SESSION,), after=(hs_key,),
                            priority=0))
        opened_key = checks[-1].key
    else:
        handshake = []
        checks = [Check("websocket-only", "websocket-only", (SESSION,), priority=0)]
        hs_key = checks[0].key
        opened_key = hs_key
        checks.append(Check("origin", "cors", (), needs=("origin", "polling"),
                            after=(hs_key,), priority=2))
    for variant in REFUSALS:
        checks.append(Check(variant, "connect-refused", (SESSION,), after=(hs_key,),
                            priority=0, params={"variant": variant}))
    login_after = (LOGIN_KEY,) if config.credentials.kind == "login" and \
        config.contract.auth.login is not None else ()
    checks.append(Check("websocket-token", "connect", (SESSION,), needs=("credentials",),
                        after=tuple(dict.fromkeys((hs_key, opened_key, *login_after))),
                        priority=1))
    realtime = not config.read_only  # the round trip posts a message: it creates data
    if realtime:
        flow = config.contract.flow
        fixed = flow.conversation_id or config.contract.socketio.conversation_id
        waits = create_planned and not fixed
        create_after = (check_key("create", f"POST {flow.create_conversation}"),) \
            if waits else ()
        probes = (SESSION, CREATE) if waits else (SESSION,)
        checks.append(Check("message", "realtime", probes, needs=("credentials",),
                            after=(hs_key, *login_after, *create_after), writes=True,
                            priority=1, params={"event": config.contract.socketio.message_event,
                                                "via": flow.message_via}))
    via_socket = config.contract.flow.message_via.startswith("socket:")
    listeners = tuple(role for role in ("peer", "outsider") if role in config.identities) \
        if realtime else ()
    if realtime:
        message = check_key("realtime", "message")
        checks.append(Check("outsider", "room-access", (SESSION,),
                            needs=("credentials", "outsider"), priority=1))
        checks.append(Check("exactly-once", "delivery", (SESSION,),
                            needs=("credentials", "peer"), after=(message,), priority=1))
    events = probe_events(config)
    checks.append(Check("events", "bad-event", (SESSION,), needs=("credentials",),
                        after=(check_key("connect", "websocket-token"),), priority=2,
                        params={"events": events}))
    sessions = [SessionSpec(SESSION, HANDSHAKE if polling else "", refusals=REFUSALS,
                            listeners=listeners,
                            separate_notifications=bool(config.contract.notifications and
                                                        config.contract.notifications.url),
                            probe_events=events,
                            connect=True, realtime=realtime,
                            second_member=realtime and via_socket,
                            transport="websocket" if polling else "websocket-direct")]
    if config.thorough and polling:
        checks.append(Check("websocket-only", "websocket-only", (WEBSOCKET_ONLY,),
                            after=(hs_key,), priority=2))
        sessions.append(SessionSpec(WEBSOCKET_ONLY, HANDSHAKE, transport="websocket-only"))
    return checks, handshake, sessions
