"""Named faults that make the reference stack fail the way the incident's platform did, and
variants: the shapes real gateways show that a harness must not mistake for failures."""

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
    "socketio-proxy-catch-all": "the gateway's Socket.IO proxy (with its target) is mounted on "
                                "every path ahead of its own routes: its login and health "
                                "answer the messaging service's own 404",
    "messaging-target-unset": "the gateway's messaging target is unset: its health lists no "
                              "services, /socket.io answers 503 'WebSocket service "
                              "configuration error', the REST proxy 502 'No upstream configured "
                              "for messaging'",
    "conversations-precedence": "a fallback registered before /api/conversations answers 503 "
                                "'WebSocket service configuration error' there only",
    "notifications-unavailable": "/api/notifications answers 503 'Messaging service unavailable'",
    "messaging-health-503": "the messaging service's /health answers 503",
    "stale-service-map": "/api/health reports an old service map (messaging on localhost:5005)",
    "auth-not-enforced": "GET /api/messages answers 200 without checking the token",
    "jwt-decode-only": "the REST auth middleware decodes tokens without verifying them (jwt.decode "
                       "for jwt.verify) and looks the user up: a token with the real claims and "
                       "a forged signature, or alg: none, is accepted",
    "jwt-exp-ignored": "the REST auth middleware verifies the signature but not the expiry "
                       "(ignoreExpiration) and looks the user up: an expired token of a real "
                       "user is accepted",
    "socketio-jwt-decode-only": "the Socket.IO auth decodes tokens without verifying them and "
                                "looks the user up: a forgery of a real token connects",
    "messages-unchecked-404": "GET /api/messages?conversationId= skips the token check (a "
                              "legacy poll): an unknown conversation answers the handler's "
                              "404 'Conversation not found' (a contract with that query has "
                              "the route)",
    "socketio-auth-not-enforced": "Socket.IO accepts connections without a valid token",
    "stack-trace-on-bad-json": "malformed JSON bodies get a 500 with a Node stack trace",
    "slow-health": "health routes answer only after 1.5 s",
    "no-message-event": "POST /api/messages stores the message but emits no message:new",
    "cors-reject": "the Socket.IO server refuses every browser Origin",
    "create-never-responds": "POST /api/conversations accepts the request and never answers",
    "rate-limited": "every route through the gateway (health, websocket upgrades and Socket.IO "
                    "polling included) is limited to 45 requests per 15 minutes per client IP, "
                    "with RateLimit-* and X-RateLimit-* headers; over it: 429 with Retry-After",
    "login-rate-limited": "POST /api/auth/login always answers 429 (Retry-After: 900)",
    "aggregate-reports-429": "aggregate health answers 200 listing messaging as "
                             "{status: unhealthy, error: 'Request failed with status code 429'}",
    "health-variant": "/api/health says status 'healthy' and lists service names, not URLs; "
                      "aggregate health is keyed by service: {services: {messaging: "
                      "{status: healthy}}}",
    "nested-ids": "answers are wrapped: {success, data: {conversation: {id}}}, {success, data: "
                  "{token}}, errors {success: false, error: {message, code}}",
    "messages-need-query": "GET /api/messages without ?conversationId= answers 400 (after the "
                           "token check)",
    "join-confirm-event": "the join event is never acked: the service emits "
                          "conversation_joined (or error) instead; a bare string id is accepted",
    "event-names-variant": "Socket.IO events are join_conversation and new_message",
    "ack-status-words": "the join's ack says {status: 'ok'} or {status: 'error', reason}, "
                        "never ok: false",
    "db-down": "routes with a valid token answer 500 MongoServerSelectionError after 2 s; "
               "aggregate health (200) lists mongodb unhealthy",
    "db-refused": "the database refuses connections: routes with a valid token answer 500 "
                  "'connect ECONNREFUSED 127.0.0.1:27017' at once; the service's health says "
                  "database.connected: false",
    "db-down-slow": "routes with a valid token answer 500 only after 6 s (Mongoose's buffering "
                    "timeout), beyond the 5 s default timeout; health says database.connected: "
                    "false",
    "auth-db-error-401": "the service's auth middleware maps a database error to 401 'Invalid "
                         "token' on the conversation and message routes while login and "
                         "notifications accept the token; health says database.connected: false",
    "socket-service-down": "the messaging service is stopped (its port refuses connections): "
                           "the gateway's REST routes answer 504, and a client using its own "
                           "Socket.IO URL (socketio.url, as with socket-direct) is refused",
    "redis-down": "Redis is gone and the messaging service crashed with it (\"Unhandled "
                  "'error' event ... SocketClosedUnexpectedlyError\" in its log): its port "
                  "refuses, the gateway answers 504; with --hermetic the Redis container is "
                  "really stopped after the start and the service dies of it",
    "login-db-refused": "the login's database (PostgreSQL) refuses connections: the login "
                        "answers 400 'connect ECONNREFUSED 127.0.0.1:5432'",
    "service-url-invalid": "the gateway's messaging URL setting is not a URL ('messaging:5005'): "
                           "its proxy and its aggregate say 'Invalid URL'",
    "secret-mismatch": "Socket.IO checks tokens with another secret than login signs with: a "
                       "valid token gets connect_error 'Authentication error: invalid signature'",
    "mount-path-dropped": "the gateway forwards conversations, messages and notifications "
                          "without /api: Express's HTML 404 'Cannot GET /conversations'",
    "leak-internal-address": "the messaging service's 404 names its database: a connection "
                             "string with credentials and 'connect ECONNREFUSED "
                             "10.0.3.7:27017'",
    "idor-user-route": "GET /api/users/{user_id}/notifications answers any user's "
                       "notifications to any valid token (the id is never compared with the "
                       "token; fixtures/contracts/user-routes.yaml has the route)",
    "profile-leaks-email": "GET /api/users/{user_id} (a public profile) shows the user's email "
                           "to any other user (fixtures/contracts/user-routes.yaml marks it "
                           "public with private_fields: [email])",
    "join-without-membership": "the Socket.IO join lets any user into any conversation's room",
    "join-confirms-anyone": "the Socket.IO join confirms any user (its ack, or "
                            "conversation_joined) but puts only members in the room: a "
                            "non-member is told it joined and receives nothing",
    "double-emit": "every message event is emitted twice to the room",
    "double-emit-late": "every message event is emitted to the room again 0.3 s later",
    "double-notify": "every message sends its notification:new twice to each other member "
                     "(fixtures/contracts/notifications.yaml checks notifications)",
    "crash-on-wrong-type": "POST /api/conversations with participants of the wrong type "
                           "answers 500 (an uncaught TypeError)",
    "stack-in-json": "malformed JSON bodies get 400 {error, stack} with the Node stack trace "
                     "inside the JSON",
    "text-plain-accepted": "bodies of other content types reach the routes as empty (as with "
                           "express.json()); a create then makes an 'Untitled conversation'",
    "slow-under-load": "any route takes 1.5 s while more than 8 requests are in flight at the "
                       "gateway",
    "participants-checked": "POST /api/conversations answers 400 'unknown participant(s): "
                            "...' when a participant is not a user",
    "cookie-auth": "login sets the token as a cookie (Set-Cookie: token=...; its body has no "
                   "token, only the user: {user: {id}}) and REST routes read the token from "
                   "that cookie, not from Authorization",
    "message-via-socket": "messages are sent with a Socket.IO send_message event {conversationId, "
                          "text} (acked); a REST post stores the message but emits nothing",
    "socket-direct": "the gateway does not proxy /socket.io (404 there): clients use the "
                     "messaging service's own URL for Socket.IO",
    "broadcast-skips-sender": "as message-via-socket, but a message sent over the socket is "
                              "announced with socket.to(room): every room member gets it but "
                              "the sender",
    "websocket-only-server": "the Socket.IO server takes websockets only (transports: "
                             "['websocket']): the polling handshake answers 400 'Invalid "
                             "transport' (python-engineio's words; Node's are 'Transport "
                             "unknown')",
}

VARIANTS: frozenset[str] = frozenset({
    "rate-limited", "login-rate-limited", "aggregate-reports-429", "health-variant",
    "nested-ids", "messages-need-query", "join-confirm-event", "event-names-variant",
    "text-plain-accepted", "slow-under-load", "participants-checked", "cookie-auth",
    "message-via-socket", "socket-direct", "broadcast-skips-sender", "websocket-only-server",
    "ack-status-words",
})
"""Faults that are shapes real gateways show rather than bugs: no route breaks its contract
(a 429 still makes a run inconclusive rather than a pass)."""

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
