"""Authorization across identities over REST: another user's objects are refused.

A denial is any 4xx (`authorization.denied_statuses` narrows it); a 2xx is the finding, with the
body's shape as evidence, never its content (it is someone else's data). An outsider's list may
answer, but must not carry the run's conversation or messages. An identity whose own token was
refused leaves its checks not tested: that is no finding about the target.
"""

from __future__ import annotations

from typing import Any

from harness.judge.causes import Cause
from harness.judge.context import WHOSE, Context
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Result, rule
from harness.judge.rules.leaks import leak, unexpected
from harness.judge.rules.rest import user_id_how
from harness.records.http import HttpAnswer
from harness.records.outcome import NotTested
from harness.records.plan import Check

REFUSED = (401, 403)


def shape(body: Any) -> str:
    """What an answer holds, without what it says: its keys, or a list's length and keys."""
    if isinstance(body, dict):
        return "an object with " + (", ".join(sorted(map(str, body))[:8]) or "no keys")
    if isinstance(body, list):
        first = f" of objects with {', '.join(sorted(map(str, body[0]))[:8])}" \
            if body and isinstance(body[0], dict) else ""
        return f"a list of {len(body)} item{'s' if len(body) != 1 else ''}{first}"
    return "a body that is not JSON" if body is None else f"a {type(body).__name__}"


def identity_refused(judge: Judge, role: str) -> NotTested | None:
    """Why `role`'s checks cannot run: no token, or its token refused on its own reads."""
    problem = judge.evidence.identity_problems.get(role)
    if problem:
        return NotTested(f"{WHOSE[role]}'s identity could not be used ({problem})")
    if role != "valid" and role not in judge.evidence.tokens:
        return NotTested(f"no token for {WHOSE[role]}")
    for answer in judge.evidence.answers.values():
        if answer.request.auth == role and answer.request.key.startswith(f"{role}:list:") \
                and answer.status in REFUSED:
            return NotTested(f"{WHOSE[role]}'s token was refused ({answer.status} on its own "
                             f"{answer.request.method} {answer.request.path}): its checks could "
                             "not run")
    return None


def other_object(ctx: Context, answer: HttpAnswer, what: str) -> Finding | None:
    """Another user's object (or an outsider's write) must be denied."""
    status = answer.status
    request = answer.request
    line = f"{request.method} {answer.sent_path or request.path}"
    if status is not None and ctx.contract.authorization.denied(status) and not answer.error:
        return None
    if status is not None and 200 <= status < 300 and not answer.error:
        return Finding(Cause.OBJECT_ACCESS_NOT_ENFORCED,
                       ctx.clean(f"{line} with {request.label} answered {status}: {what}"),
                       ctx.clean(f"{line} ({request.label}) -> {status}, "
                                 f"{shape(answer.json())} [{answer.latency_ms} ms]"),
                       reproduce=ctx.reproduce(answer), latency_ms=answer.latency_ms)
    expected = "a denial (4xx)"
    return leak(ctx, answer, expected) or unexpected(ctx, answer, expected)


def outsiders_list(ctx: Context, answer: HttpAnswer, conversation: str | None,
                   texts: set[str]) -> Finding | None:
    """The outsider's own list must not show the run's conversation or messages."""
    status = answer.status
    if status is None or status >= 500 or answer.error:
        return leak(ctx, answer, "the outsider's own list") or \
            unexpected(ctx, answer, "the outsider's own list")
    if not 200 <= status < 300:
        return None
    seen = [what for what, value in (("the run's conversation", conversation),
                                     *(("the run's message", text) for text in texts))
            if value and value in answer.text]
    if not seen:
        return None
    request = answer.request
    line = f"{request.method} {answer.sent_path or request.path}"
    return Finding(Cause.OBJECT_ACCESS_NOT_ENFORCED,
                   ctx.clean(f"{line} read by the outsider lists {' and '.join(seen[:2])}: a "
                             "user who is not a member sees it"),
                   ctx.clean(f"{line} ({request.label}) -> {status}, {shape(answer.json())} "
                             f"[{answer.latency_ms} ms]"),
                   reproduce=ctx.reproduce(answer), latency_ms=answer.latency_ms)


def private_values(judge: Judge) -> dict[str, set[str]]:
    """The run's user's values of `authorization.private_fields`, from what its own token and
    its login read (its profile, its conversations): field -> values."""
    fields = set(judge.ctx.contract.authorization.private_fields)
    found: dict[str, set[str]] = {name: set() for name in fields}

    def walk(value: Any, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key in fields and isinstance(item, str) and len(item) >= 3:
                    found[key].add(item)
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value[:200]:
                walk(item, depth + 1)

    for answer in judge.evidence.answers.values():
        if answer.request.auth == "valid" or answer.request.key == "login":
            walk(answer.json())
    return found


def private_leak(judge: Judge, answer: HttpAnswer) -> Finding | None:
    """An answer the outsider read that carries the run's user's private field values."""
    if answer.status is None or not 200 <= answer.status < 300:
        return None
    leaked = sorted(name for name, values in private_values(judge).items()
                    if any(value in answer.text for value in values))
    if not leaked:
        return None
    request, ctx = answer.request, judge.ctx
    line = f"{request.method} {answer.sent_path or request.path}"
    return Finding(Cause.OBJECT_ACCESS_NOT_ENFORCED,
                   ctx.clean(f"{line} read by the outsider carries another user's "
                             f"{', '.join(leaked)} (authorization.private_fields)"),
                   ctx.clean(f"{line} ({request.label}) -> {answer.status}, "
                             f"{shape(answer.json())} [{answer.latency_ms} ms]"),
                   reproduce=ctx.reproduce(answer), latency_ms=answer.latency_ms)


WHAT = {"user": "another user's object was served to the run's token",
        "conversation": "a conversation the outsider is not a member of was served to it",
        "post": "the outsider wrote to a conversation it is not a member of"}


@rule("object-access", shown_by="suites/rest/test_authorization.py::test_other_users_objects")
def object_access_check(judge: Judge, check: Check) -> Result:
    mode = check.params["mode"]
    if mode == "user" and "other" not in judge.evidence.user_ids:
        return NotTested(f"another user's id is not known "
                         f"({user_id_how(judge, judge.evidence.other_role or 'peer')})")
    refused = identity_refused(judge, judge.evidence.other_role if mode == "user"
                               else "outsider")
    if refused is not None:
        return refused
    answer = judge.answer(check)
    if isinstance(answer, NotTested):
        return answer
    if answer is None:
        if mode != "user" and judge.evidence.conversation_id is None:
            return NotTested("no conversation of the run's to try it on")
        return judge.no_token() if not judge.evidence.token else NOT_SENT
    if mode == "public":
        return private_leak(judge, answer) if answer.status and answer.status < 500 else \
            leak(judge.ctx, answer, "the public route's own answer")
    if mode == "list":
        return outsiders_list(judge.ctx, answer, judge.evidence.conversation_id,
                              set(judge.evidence.texts)) or private_leak(judge, answer)
    return other_object(judge.ctx, answer, WHAT[mode])
