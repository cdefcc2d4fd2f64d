"""`--plan`: the checks and probes a run would make, and its request count; sends nothing."""

from __future__ import annotations

from dataclasses import replace

from harness.config import Credentials, RunConfig
from harness.plan.build import build_plan

PLACEHOLDER = "embedded-stack"


def plan_config(config: RunConfig) -> RunConfig:
    """A stack started by the run gives credentials, origin and a service map: plan with them."""
    if config.stack not in ("embedded", "hermetic"):
        return config
    return replace(config, url=config.url or f"http://({config.stack} stack)",
                   credentials=Credentials(None, PLACEHOLDER, PLACEHOLDER),
                   jwt_secret=config.jwt_secret or PLACEHOLDER * 3,
                   origin=config.origin or "http://localhost:3000",
                   expected_services=config.expected_services or {"messaging": "(stack)"})


def show_plan(config: RunConfig) -> str:
    config = plan_config(config)
    plan = build_plan(config)
    per_suite = ", ".join(f"{suite} {n}" for suite, n in sorted(plan.by_suite().items()))
    lines = [f"plan against {config.base_url}: {len(plan.checks)} checks, "
             f"{plan.request_count} requests ({per_suite})"]
    lines.append("")
    lines.append("requests, in the order they are sent:")
    for number, request in enumerate(plan.http, start=1):
        auth = " [valid credential]" if request.auth == "valid" else ""
        lines.append(f"  {number:>3}. {request.method} {request.path}{auth}  "
                     f"({request.label or request.key})")
    for number, session in enumerate(plan.sessions, start=len(plan.http) + 1):
        opening = "open (websocket only)" if session.transport.startswith("websocket-") \
            else "upgrade"
        steps = [opening, *[f"CONNECT {v}" for v in session.refusals]]
        if session.connect:
            steps.append("CONNECT with the token")
        if session.realtime:
            steps += ["join", "post", f"await {config.contract.socketio.message_event}"]
        plural = "s" if session.requests != 1 else ""
        lines.append(f"  {number:>3}. Socket.IO session over {session.transport} "
                     f"({session.requests} request{plural}): {', '.join(steps)}")
    lines.append("")
    lines.append("checks:")
    for check in plan.checks:
        why = f"  -- not tested: {plan.left_out[check.key]}" if check.key in plan.left_out else ""
        lines.append(f"  {check.node_id}{why}")
    if plan.conditional:
        lines.append("")
        socket = ", a handshake without Origin, a polling session when the upgrade fails" \
            if config.contract.socketio.polling else ""
        lines.append(f"only if a check asks for them: up to {len(plan.conditional)} more auth "
                     f"probes (the variant that failed, on every route){socket}, one quiet "
                     "re-measurement per slow health route")
    return "\n".join(lines)
