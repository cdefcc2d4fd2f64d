"""The cause registry: every cause code, what it means, the next step, and its causal rank.

A cause is an Enum member, so a typo is an AttributeError at import time, not a string that
only shows when a report is rendered. The code string of each cause appears in this file only.
Rank orders findings "most likely root first": the target itself, then the gateway's wiring,
configuration drift, health, auth, the Socket.IO layers, leaks, contract shape, latency and logs.
"""

from __future__ import annotations

from enum import Enum

SEVERITIES = ("security", "availability", "correctness", "drift")


class Cause(Enum):
    """A cause code with its meaning, next step, rank (lower is more fundamental) and severity
    (security, availability, correctness or drift: `SEVERITIES`, most serious first)."""

    TARGET_UNREACHABLE = ("target-unreachable", 10, "availability",
                          "the target itself cannot be reached",
                          "check the URL, that the tunnel/gateway is running, DNS and TLS")
    NGROK_TUNNEL_OFFLINE = ("ngrok-tunnel-offline", 11, "availability",
                            "ngrok says the endpoint or tunnel is offline",
                            "start the ngrok agent or use the current public URL")
    NGROK_UPSTREAM_REFUSED = ("ngrok-upstream-refused", 12, "availability",
                              "the tunnel is up but nothing listens on its local port",
                              "is the service on the port the tunnel forwards to? compare "
                              "`ngrok http <port>` with the port the service logs")
    NGROK_BROWSER_WARNING = ("ngrok-browser-warning", 13, "availability",
                             "ngrok's browser-warning page came back instead of the API",
                             "send the header `ngrok-skip-browser-warning: 1` (the harness "
                             "does; a client may not)")
    SERVICE_START_FAILED = ("service-start-failed", 15, "availability",
                            "a service of the hermetic or compose stack did not start",
                            "read the service's last log lines in the report and fix its start")
    REDIRECT = ("redirect", 18, "correctness",
                "a probe was answered with a redirect instead of the route's own answer",
                "serve the API at the URL you test (no redirect); credentials never follow "
                "a redirect")
    DEPENDENCY_DOWN = ("dependency-down", 19, "availability",
                       "a service answers but its database, cache or broker does not",
                       "bring the dependency back (is it running, on the host and port the "
                       "service's connection string names?), then check the service's "
                       "connection settings and its log")
    UPSTREAM_UNREACHABLE = ("upstream-unreachable", 20, "availability",
                            "the gateway cannot reach a service behind it",
                            "check the service is running and on the port the gateway's "
                            "config names")
    PROXY_TARGET_MISSING = ("proxy-target-missing", 21, "availability",
                            "the Socket.IO path answers a proxy configuration error",
                            "give the Socket.IO proxy its target (services.messaging) and "
                            "restart the gateway")
    SOCKETIO_PROXY_INTERCEPTS_REST = ("socketio-proxy-intercepts-rest", 22, "availability",
                                      "a REST route answered with the Socket.IO proxy's error",
                                      "scope the Socket.IO proxy to /socket.io and check "
                                      "middleware order")
    ROUTE_NOT_FOUND = ("route-not-found", 25, "correctness",
                       "a documented route answered 404",
                       "check the gateway's mount paths (a proxy that drops /api answers 404) "
                       "and the contract's paths")
    STALE_CONFIG = ("stale-config", 30, "drift",
                    "the gateway's reported service map differs from the expected one",
                    "restart the gateway so it reads the current config, or fix its env")
    HEALTH_DOWN = ("health-down", 40, "availability",
                   "/api/health is not 200 or not the documented shape",
                   "look at the gateway's log; restart it if it is serving an old build")
    AGGREGATE_UNHEALTHY = ("aggregate-unhealthy", 41, "availability",
                           "aggregate health reports a service not ok",
                           "check that service's own /health and the URL the gateway uses "
                           "for it")
    CREDENTIALS_REJECTED = ("credentials-rejected", 48, "availability",
                            "valid credentials were refused",
                            "check the credentials, and that every service verifies tokens "
                            "with the same JWT secret")
    AUTH_NOT_ENFORCED = ("auth-not-enforced", 50, "security",
                         "a protected route or action accepted a missing or invalid token",
                         "put the auth middleware in front of this route and verify "
                         "signature, alg and expiry")
    OBJECT_ACCESS_NOT_ENFORCED = ("object-access-not-enforced", 52, "security",
                                  "a valid token reached another user's object over REST",
                                  "compare the object's owner or the conversation's members "
                                  "with the token's user in the route's handler (403/404 "
                                  "otherwise), and list only the caller's own objects")
    WRONG_AUTH_STATUS = ("wrong-auth-status", 51, "correctness",
                         "a protected route rejected a missing token, but not with 401",
                         "answer 401 with a JSON error (or add the status to the contract's "
                         "auth.accepted_statuses)")
    SOCKETIO_HANDSHAKE_FAILED = ("socketio-handshake-failed", 60, "availability",
                                 "the Engine.IO polling handshake is not a valid v4 open packet",
                                 "check the Socket.IO path, server version (v4) and what "
                                 "answers at that path")
    WEBSOCKET_UPGRADE_BROKEN = ("websocket-upgrade-broken", 61, "availability",
                                "polling works but the websocket upgrade fails",
                                "look for two upgrade handlers on one server (handleUpgrade "
                                "called twice) or a proxy without ws support")
    SOCKETIO_AUTH_NOT_ENFORCED = ("socketio-auth-not-enforced", 62, "security",
                                  "a Socket.IO connect without a valid token was accepted",
                                  "reject the connection in the Socket.IO auth middleware")
    SOCKETIO_CORS_BLOCKED = ("socketio-cors-blocked", 63, "availability",
                             "the handshake is refused for the expected browser Origin",
                             "add the origin to the Socket.IO server's cors origins")
    REALTIME_EVENT_MISSING = ("realtime-event-missing", 64, "correctness",
                              "a message was posted but the realtime event never arrived",
                              "check the service emits the contract's message event to the "
                              "conversation's room")
    ROOM_ACCESS_NOT_ENFORCED = ("room-access-not-enforced", 65, "security",
                                "a non-member's socket joined a conversation's room, or "
                                "received any of its messages",
                                "check membership in the join handler before socket.join(room), "
                                "and emit messages to the conversation's room only")
    DUPLICATE_DELIVERY = ("duplicate-delivery", 66, "correctness",
                          "a member received the same message event (or a notification) more "
                          "than once",
                          "emit each message once (look for two emit calls, a handler "
                          "registered twice, or both a REST and a socket path emitting)")
    NO_RESPONSE = ("no-response", 70, "availability",
                   "the route accepted the connection but never answered",
                   "find the handler that never sends a response (missing res.send / next())")
    STACK_TRACE_LEAK = ("stack-trace-leak", 71, "security",
                        "a response body carries a stack trace or internal paths",
                        "add an error handler that answers a JSON error without internals")
    GENERIC_503_LEAK = ("generic-503-leak", 72, "availability",
                        "a generic 5xx where the contract expects the route's own answer",
                        "find the fallback handler that answers instead of the route and fix "
                        "or remove it")
    INTERNAL_DETAIL_LEAK = ("internal-detail-leak", 74, "security",
                            "an error body exposes internal addresses, hosts or connection "
                            "strings",
                            "answer errors with a message of your own; log the driver's error "
                            "(its address, connection string, class) on the server only")
    UNHANDLED_BAD_INPUT = ("unhandled-bad-input", 75, "correctness",
                           "a 5xx (or a service that went down) for input of the wrong type",
                           "validate the body's and the event's fields (types, required) "
                           "before using them; answer 400 or an error ack")
    OVERSIZED_BODY = ("oversized-body", 73, "correctness",
                      "an answer bigger than the read cap, or one that never ends",
                      "bound what the route sends (pagination, a size limit) and end every "
                      "body")
    CONTRACT_MISMATCH = ("contract-mismatch", 80, "correctness",
                         "a route answered, but not with the status or shape its contract "
                         "documents",
                         "compare the route's answer with the contract (status, JSON shape); "
                         "fix the route, or the contract if the route is right")
    SLOW_RESPONSE = ("slow-response", 90, "drift",
                     "the check passed but over its latency budget (measured alone)",
                     "look at what the route waits on (database, upstream health calls)")
    LOG_WARNING = ("log-warning", 91, "drift", "a service log shows a known warning",
                   "fix the warning at its source (see the log line)")
    RATE_LIMITED = ("rate-limited", 95, "drift",
                    "the target answered 429: the check could not be tested",
                    "wait for Retry-After, raise the limit for the harness's address, or run "
                    "with --max-requests below the remaining budget")

    def __init__(self, code: str, rank: int, severity: str, meaning: str,
                 next_step: str) -> None:
        self.code = code
        self.rank = rank
        self.severity = severity
        self.meaning = meaning
        self.next_step = next_step

    def __str__(self) -> str:
        return self.code

    @classmethod
    def from_code(cls, code: str) -> Cause:
        """The cause for a code string (from a report or a contract); ValueError if unknown."""
        for cause in cls:
            if cause.code == code:
                return cause
        raise ValueError(f"unknown cause code {code!r}")

    @property
    def explains_causes(self) -> frozenset[Cause]:
        """Causes whose checks this one explains when both are seen in a run (a proxy without
        its target makes the REST routes it intercepts answer its error, and the gateway
        unable to reach the service)."""
        if self is Cause.PROXY_TARGET_MISSING:
            return frozenset({Cause.SOCKETIO_PROXY_INTERCEPTS_REST, Cause.UPSTREAM_UNREACHABLE})
        if self is Cause.DEPENDENCY_DOWN:
            return frozenset({Cause.UPSTREAM_UNREACHABLE, Cause.GENERIC_503_LEAK,
                              Cause.NO_RESPONSE, Cause.AGGREGATE_UNHEALTHY,
                              Cause.CREDENTIALS_REJECTED, Cause.CONTRACT_MISMATCH})
        return frozenset()

    @property
    def is_outage(self) -> bool:
        """A cause that can explain other checks' failures: something down or misrouted."""
        return self.severity == "availability"

    @property
    def blocks_verdict_only(self) -> bool:
        """A cause that says the check could not be tested, not that the contract failed."""
        return self is Cause.RATE_LIMITED
