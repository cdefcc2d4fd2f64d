"""Fitting a plan into a request budget: the mission's invariants first, the rest if room."""

from __future__ import annotations

from dataclasses import replace

from harness.records.outcome import NotTested, Why
from harness.records.plan import Plan

RESERVE = 2  # requests kept back for follow-ups (a re-handshake, a quiet re-measurement)


def fit(plan: Plan, available: int, why: str, already_sent: frozenset[str] = frozenset()) -> Plan:
    """The highest-priority checks whose probes fit in `available` more requests (keeping
    `RESERVE` back when not all fit); the others are left out with `why`. Probes already sent
    cost nothing."""
    if plan.request_count - len(already_sent) <= available:
        return plan
    room = max(0, available - RESERVE)
    chosen: set[str] = set(already_sent)
    keep: list[str] = []
    cost = {r.key: 1 for r in plan.http}
    cost.update({s.key: s.requests for s in plan.sessions})
    handshake = {s.key: s.handshake for s in plan.sessions}
    order = sorted((c for c in plan.checks if c.key not in plan.left_out),
                   key=lambda c: (c.priority, plan.checks.index(c)))
    for check in order:
        probes = set(check.probes) | {handshake[p] for p in check.probes if p in handshake}
        extra = sum(cost.get(p, 0) for p in probes - chosen)
        if extra <= room:
            room -= extra
            chosen |= probes
            keep.append(check.key)
    left_out = dict(plan.left_out)
    for check in plan.checks:
        if check.key not in keep and check.key not in left_out:
            left_out[check.key] = NotTested(why, Why.BUDGET)
    http = tuple(r for r in plan.http if r.key in chosen or r.key in already_sent)
    sessions = tuple(s for s in plan.sessions if s.key in chosen)
    return replace(plan, http=http, sessions=sessions, left_out=left_out)
