"""A 404 to bad credentials on a route the run has shown to be there is not a missing route.

A route is shown to be there when a request carrying a credential (the run's token, the peer's,
the outsider's) got an answer from its handler on the same method and path: a 2xx, or a 4xx
about the request itself (400, 409, 422...). A 401/403 is not such an answer (an auth layer in
front of every path gives it to routes that do not exist too), nor a 404, 405 or 429, nor a
5xx (a proxy's). On such a route a 404 to a request without a valid token is the handler's own
"not found" (the probe names an id that does not exist): the handler ran without the token
being checked first. Without a token that is `wrong-auth-status` (a missing token must get 401;
a 404 that hides routes on purpose belongs in auth.accepted_statuses). With a bad token, on a
route that refused no token with an accepted status, it is `auth-not-enforced`: the bad token
got past the check that stops a missing one.
"""

from __future__ import annotations

from collections.abc import Collection

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.normalise import error_text
from harness.records.evidence import Evidence
from harness.records.http import HttpAnswer
from harness.sanitize.escape import safe_excerpt

NOT_THE_HANDLER = frozenset({401, 403, 404, 405, 429})


def route_there(evidence: Evidence, label: str) -> HttpAnswer | None:
    """An answer that shows the route `label` ("GET /api/messages") is there, else None."""
    method, _, path = label.partition(" ")
    for answer in evidence.answers.values():
        request, status = answer.request, answer.status
        if request.auth is None or request.method != method or answer.error or status is None \
                or request.path.split("?", 1)[0] != path:
            continue
        if 200 <= status < 300 or (400 <= status < 500 and status not in NOT_THE_HANDLER):
            return answer
    return None


def handler_answered(ctx: Context, answer: HttpAnswer, expected: str, there: HttpAnswer,
                     no_token: HttpAnswer | None, accepted: Collection[int]) -> Finding:
    """The finding for `answer`, a 404 from the handler of a route `there` shows."""
    request = answer.request
    line = f"{request.method} {answer.sent_path or request.path}"
    body = answer.json()
    said = safe_excerpt(error_text(body) if body is not None else answer.text, 120)
    shown = f"{there.request.method} {there.sent_path or there.request.path} answered " \
            f"{there.status} with {there.request.label or 'a valid token'}"
    refused = no_token is not None and no_token is not answer and not no_token.error \
        and no_token.status in accepted
    if refused:
        assert no_token is not None
        return ctx.finding(Cause.AUTH_NOT_ENFORCED, f"{line} answered 404 ({said!r}) to "
                           f"{request.label or 'a bad token'} although it refuses no token "
                           f"({no_token.status}) and is there ({shown}): the bad token got "
                           "past the auth check and the handler answered", answer)
    return ctx.finding(Cause.WRONG_AUTH_STATUS, f"{line} should answer {expected} to "
                       f"{request.label or 'no token'} but answered 404 ({said!r}) although "
                       f"the route is there ({shown}): its handler answered without checking "
                       "the token (if the 404 hides the route on purpose, add 404 to "
                       "auth.accepted_statuses)", answer)
