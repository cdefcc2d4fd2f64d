"""Probes: the only code that sends anything to a target.

Owns the request and answer records (`model`), the bounded HTTP client (`http`), the
rate-limit reading (`ratelimit`), Engine.IO facts (`engineio`), the hand-written Socket.IO
session (`socketio_session`, its evidence in `socketio_results`) and the executor that sends
a plan (`execute`). May import `harness.contract`, `harness.plan` and `harness.sanitize`;
never the judge or the reports.
"""
