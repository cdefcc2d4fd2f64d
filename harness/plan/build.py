"""Contract + RunConfig -> Plan: which checks, which probes, in what order, how many requests."""

from __future__ import annotations

import json
from dataclasses import replace

from harness.config import RunConfig
from harness.plan.health import document_request, health_checks, log_ports, log_scans
from harness.plan.identities import (
    ROLES,
    conversation_check_key,
    identity_logins,
    object_checks,
    whoami_requests,
)
from harness.plan.inputs import wrong_type_checks
from harness.plan.rest import (
    auth_checks,
    authorized_checks,
    bad_body_checks,
    internal_detail_check,
    unknown_route_check,
    without_peer,
)
from harness.plan.socket import follow_ups, socket_checks
from harness.records.http import HttpRequest
from harness.records.keys import CREATE, POST
from harness.records.outcome import NotTested, Why
from harness.records.plan import Check, FollowUp, Plan

NEEDS_REASON = {
    "credentials": "no credentials (set SMOKE_TOKEN, or SMOKE_USERNAME and SMOKE_PASSWORD)",
    "origin": "no browser origin (--origin, SMOKE_ORIGIN or the contract's defaults.origin)",
    "service-log": "no service log (--service-log FILE)",
    "expected-services": "no expected service map (--expect-service or the contract's "
                         "health.expected_services)",
    "jwt-secret": "needs the signing secret (SMOKE_JWT_SECRET) to sign an expired token",
    "health-route": "the contract declares no health route (health: null)",
    "expected-port": "no expected port (service_logs.expected_port in the contract, or "
                     "--expect-service NAME=URL)",
    "polling": "the server takes websockets only (socketio.transports), and browsers apply no "
               "CORS to websockets",
    "peer": "no peer identity (SMOKE_PEER_TOKEN, or SMOKE_PEER_USERNAME and "
            "SMOKE_PEER_PASSWORD)",
    "outsider": "no outsider identity (SMOKE_OUTSIDER_TOKEN, or SMOKE_OUTSIDER_USERNAME and "
                "SMOKE_OUTSIDER_PASSWORD)",
    "other-user": "no other user's identity (SMOKE_OUTSIDER_* or SMOKE_PEER_*)",
    "conversation": "no conversation to read: --read-only creates none (flow.conversation_id "
                    "names an existing one)",
}


def missing_inputs(config: RunConfig) -> set[str]:
    """The run inputs this configuration lacks."""
    missing = set()
    if config.credentials.kind == "none":
        missing.add("credentials")
    if not config.origin:
        missing.add("origin")
    if not config.service_logs:
        missing.add("service-log")
    if not config.expected_services:
        missing.add("expected-services")
    if not config.jwt_secret:
        missing.add("jwt-secret")
    if config.contract.health is None or config.contract.health.route is None:
        missing.add("health-route")
    if not log_ports(config):
        missing.add("expected-port")
    if not config.contract.socketio.polling:
        missing.add("polling")
    missing |= {role for role in ROLES if role not in config.identities}
    if not config.identities:
        missing.add("other-user")
    if config.read_only and not config.contract.flow.conversation_id:
        missing.add("conversation")
    return missing


def _without_peer(request: HttpRequest) -> HttpRequest:
    """The request with `{peer_id}` list elements dropped from its JSON body (no peer)."""
    if not request.body or b"{peer_id}" not in request.body:
        return request
    try:
        body = json.loads(request.body)
    except ValueError:
        return request
    if not isinstance(body, dict):
        return request
    return replace(request, body=json.dumps(without_peer(body, False)).encode())


def build_plan(config: RunConfig) -> Plan:
    """Every check the run means to make and the probes they need, known before sending."""
    checks: list[Check] = []
    http: list[HttpRequest] = []
    sessions = []
    conditional: list[FollowUp] = []
    document = document_request(config)
    if "health" in config.suites:
        found, requests = health_checks(config)
        checks += found
        http += requests
    elif document is not None:
        http.append(document)  # the preflight: is the target there at all?
    if "rest" in config.suites or "socket" in config.suites:
        found, requests = authorized_checks(config)
        if "rest" not in config.suites:
            found = [check for check in found if check.key.startswith("test_login")]
            requests = [r for r in requests if r.key in ("login", CREATE, POST)]
        checks += found
        http += requests
        http += identity_logins(config) + whoami_requests(config)
    if "rest" in config.suites:
        for part in (auth_checks(config), bad_body_checks(config)):
            checks += part[0]
            http += part[1]
            if len(part) == 3:
                conditional += part[2]  # type: ignore[misc]
        unknown_check, unknown = unknown_route_check(config)
        checks += [unknown_check, internal_detail_check()]
        http.append(unknown)
        for found, requests in (object_checks(config, conversation_check_key(config)),
                                wrong_type_checks(config)):
            checks += found
            http += requests
    if "socket" in config.suites:
        create_planned = any(r.key == CREATE for r in http)
        found, requests, sessions = socket_checks(config, create_planned)
        checks += found
        http += requests
        conditional += follow_ups(config)
    missing = missing_inputs(config)
    left_out = {check.key: NotTested(NEEDS_REASON[need], Why.MISSING_INPUT) for check in checks
                for need in check.needs if need in missing}
    if "peer" in missing:  # list elements `{peer_id}` dropped; what still names one: not tested
        http = [_without_peer(request) for request in http]
        naming = {r.key for r in http if "{peer_id}" in r.path + (r.body or b"").decode(
            "utf-8", "replace")}
        left_out |= {check.key: NotTested(NEEDS_REASON["peer"], Why.MISSING_INPUT)
                     for check in checks if naming & set(check.probes)}
    checks = [replace(check, probes=()) if check.key in left_out else check
              for check in checks]
    needed = {probe for check in checks for probe in check.probes}
    needed |= {s.handshake for s in sessions if s.key in needed and s.handshake}
    if any(session.realtime for session in sessions if session.key in needed):
        needed.add(POST)
    keep = {"login", document.key if document else "", *(f"login:{role}" for role in ROLES),
            *(r.key for r in whoami_requests(config))}
    http = [r for r in http if r.key in needed or r.key in keep]
    sessions = [s for s in sessions if s.key in needed]
    scans = tuple(scan for scan in log_scans(config) if scan.key in needed)
    return Plan(tuple(checks), tuple(dict.fromkeys(http)), tuple(sessions), tuple(conditional),
                scans, left_out)
