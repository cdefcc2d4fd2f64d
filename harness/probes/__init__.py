"""Probes: the only code that sends anything to a target.

Owns the bounded HTTP client (`http`), the rate-limit reading (`ratelimit`), the hand-written
Socket.IO session (`socketio_session` and its room steps in `socketio_room`, its wire in
`socketio_wire`, the upgrade in `socketio_upgrade`), the TCP connections opened ahead for
websockets and HTTP (`preconnect`, `http_ahead`), the ngrok agent (`ngrok_agent`), the
service-log scan (`logscan`), the wait for a healthy target (`wait`) and the executor that
sends a plan (`execute`). What they send and see are records; they never plan and never judge
(the shapes of tokens, ids and acks are read by functions the engine hands in).

May import: config, contract, records, sanitize, __version__.
"""
