"""The catalogue of cause codes: a stable name, what it means, and the next step."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    code: str
    summary: str
    next_step: str
    severity: str = "critical"


_CATALOGUE = [
    Cause("target-unreachable", "the target itself cannot be reached",
          "check the URL, that the tunnel/gateway is running, DNS and TLS"),
    Cause("ngrok-tunnel-offline", "ngrok says the endpoint or tunnel is offline",
          "start the ngrok agent or use the current public URL"),
    Cause("ngrok-upstream-refused", "the tunnel is up but nothing listens on its local port",
          "is the service on the port the tunnel forwards to? compare `ngrok http <port>` "
          "with the port the service logs"),
    Cause("ngrok-browser-warning", "ngrok's browser-warning page came back instead of the API",
          "send the header `ngrok-skip-browser-warning: 1` (the harness does; a client may not)",
          "normal"),
    Cause("upstream-unreachable", "the gateway cannot reach a service behind it",
          "check the service is running and on the port the gateway's config names"),
    Cause("socketio-proxy-intercepts-rest",
          "a REST route answered with the Socket.IO proxy's error",
          "scope the Socket.IO proxy to /socket.io and check middleware order"),
    Cause("proxy-target-missing", "the Socket.IO path answers a proxy configuration error",
          "give the Socket.IO proxy its target (services.messaging) and restart the gateway"),
    Cause("generic-503-leak", "a generic 5xx where the contract expects the route's own answer",
          "find the fallback handler that answers instead of the route and fix or remove it"),
    Cause("auth-not-enforced", "a protected route or action accepted a missing or invalid token",
          "put the auth middleware in front of this route and verify signature, alg and expiry"),
    Cause("wrong-auth-status", "a protected route rejected a missing token, but not with 401",
          "answer 401 with a JSON error (or add the status to the contract's accepted set)",
          "normal"),
    Cause("contract-mismatch", "a route answered, but not with the status or shape its contract "
          "documents", "compare the route's answer with the contract (status, JSON shape, "
          "input validation); fix the route, or the contract if the route is right", "normal"),
    Cause("stack-trace-leak", "a response body carries a stack trace or internal paths",
          "add an error handler that answers a JSON error without internals"),
    Cause("health-down", "/api/health is not 200 or not the documented shape",
          "look at the gateway's log; restart it if it is serving an old build"),
    Cause("aggregate-unhealthy", "aggregate health reports a service not ok",
          "check that service's own /health and the URL the gateway uses for it"),
    Cause("stale-config", "the gateway's reported service map differs from the expected one",
          "restart the gateway so it reads the current config, or fix its env"),
    Cause("socketio-handshake-failed",
          "the Engine.IO polling handshake is not a valid v4 open packet",
          "check the Socket.IO path, server version (v4) and what answers at that path"),
    Cause("websocket-upgrade-broken", "polling works but the websocket upgrade fails",
          "look for two upgrade handlers on one server (handleUpgrade called twice) or a "
          "proxy without ws support"),
    Cause("socketio-auth-not-enforced", "a Socket.IO connect without a valid token was accepted",
          "reject the connection in the Socket.IO auth middleware"),
    Cause("socketio-cors-blocked", "the handshake is refused for the expected browser Origin",
          "add the origin to the Socket.IO server's cors origins"),
    Cause("realtime-event-missing", "a message was posted but the realtime event never arrived",
          "check the service emits message:new to the conversation's room"),
    Cause("slow-response", "the check passed but over its latency budget",
          "look at what the route waits on (database, upstream health calls)", "normal"),
    Cause("log-warning", "a service log shows a known warning",
          "fix the warning at its source (see the log line)", "minor"),
    Cause("no-response", "the route accepted the connection but never answered",
          "find the handler that never sends a response (missing res.send / next())"),
    Cause("rate-limited", "the target answered 429 (not a contract failure)",
          "wait for Retry-After, or raise the limit for the harness's address", "minor"),
]

CAUSES: dict[str, Cause] = {cause.code: cause for cause in _CATALOGUE}


def cause(code: str) -> Cause:
    """The catalogue entry for `code`; unknown codes are a programming error."""
    return CAUSES[code]
