"""Named faults that make the reference stack fail the way the incident's platform did."""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    "port-mismatch": "the gateway proxies to a port where nothing listens (service on 3005, "
                     "gateway expects 5005)",
    "dual-upgrade": "two websocket upgrade handlers on the messaging server: polling works, "
                    "every websocket upgrade is reset",
    "socketio-proxy-everywhere": "the Socket.IO proxy is mounted on every path and answers 503 "
                                 "'WebSocket service configuration error'",
    "proxy-target-missing": "the gateway's Socket.IO proxy has no target: /socket.io answers 503",
    "conversations-precedence": "a fallback registered before /api/conversations answers 503 "
                                "'WebSocket service configuration error' there only",
    "notifications-unavailable": "/api/notifications answers 503 'Messaging service unavailable'",
    "messaging-health-503": "the messaging service's /health answers 503",
    "stale-service-map": "/api/health reports an old service map (messaging on localhost:5005)",
    "auth-not-enforced": "GET /api/messages answers 200 without checking the token",
    "socketio-auth-not-enforced": "Socket.IO accepts connections without a valid token",
    "stack-trace-on-bad-json": "malformed JSON bodies get a 500 with a Node stack trace",
    "slow-health": "health routes answer only after 1.5 s",
    "no-message-event": "POST /api/messages stores the message but emits no message:new",
    "cors-reject": "the Socket.IO server refuses every browser Origin",
    "create-never-responds": "POST /api/conversations accepts the request and never answers",
}

FAULTS_ENV = "REFERENCE_FAULTS"


def parse_faults(spec: str | Iterable[str] | None) -> frozenset[str]:
    """Fault names from a comma-separated string or an iterable; unknown names are an error."""
    if spec is None:
        return frozenset()
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    faults = frozenset(name.strip() for name in names if name and name.strip())
    unknown = sorted(faults - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    return faults
