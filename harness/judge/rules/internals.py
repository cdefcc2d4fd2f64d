"""Internal details in error bodies: what an attacker learns from a 4xx/5xx the run already has.

Connection errors with an address (`connect ECONNREFUSED 10.0.3.7:27017`), connection strings
(`mongodb://`, `redis://`, `postgres://`, `amqp://`), internal host names (`*.svc.cluster.local`,
`*.internal`) and driver class names that reveal the stack (`MongoServerSelectionError`), in raw
and JSON-escaped form; loopback and private addresses count. Health documents are exempt
(reporting services and their errors is their job) except for credentials inside a connection
string, which count anywhere. No extra request is sent.
"""

from __future__ import annotations

import re

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import Judge
from harness.judge.kinds import Result, rule
from harness.records.http import HttpAnswer
from harness.records.plan import Check

SCHEMES = r"(?:mongodb(?:\+srv)?|rediss?|postgres(?:ql)?|mysql|mariadb|amqps?|kafka)"
CONNECTION_STRING = re.compile(rf"\b{SCHEMES}://[^\s\"'<>,;]+", re.IGNORECASE)
WITH_CREDENTIALS = re.compile(rf"\b{SCHEMES}://[^\s/\"'<>:@]+:[^\s/\"'<>@]+@", re.IGNORECASE)
PATTERNS = (
    ("a connection error with an address", re.compile(
        r"\b(?:connect\s+)?E(?:CONNREFUSED|HOSTUNREACH|TIMEDOUT|NOTFOUND|CONNRESET|ADDRNOTAVAIL)\b"
        r"[^\n\"]{0,40}?(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[a-z0-9][\w.-]*):\d{2,5}",
        re.IGNORECASE)),
    ("a connection string", CONNECTION_STRING),
    ("an internal host name", re.compile(
        r"\b[a-z0-9][\w-]*(?:\.[\w-]+)*\.(?:svc\.cluster\.local|internal)\b", re.IGNORECASE)),
    ("a driver's error class", re.compile(
        r"\b(?:Mongo(?:ServerSelection|Network|NetworkTimeout|Parse|Topology\w*)?Error|"
        r"MongooseServerSelectionError|Sequelize\w*Error|PrismaClient\w*Error|"
        r"SocketClosedUnexpectedlyError|ClientClosedError|ReplyError|"
        r"QueryFailedError|ER_ACCESS_DENIED_ERROR)\b")),
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def unescaped(text: str) -> str:
    """A body with its JSON string escapes undone (`\\/`, `\\u003a`), so escaped forms match."""
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text.replace("\\/", "/"))


def masked(text: str) -> str:
    """What was found, with any credentials of a connection string masked."""
    return re.sub(rf"(\b{SCHEMES}://)[^\s/\"'<>@]+@", r"\1***@", text, flags=re.IGNORECASE)


def internal_detail(ctx: Context, answer: HttpAnswer, health: bool) -> Finding | None:
    """An error answer that shows internal details (in a health document: credentials)."""
    if answer.status is None or answer.status < 400 and not health:
        return None
    text = unescaped(answer.text)
    found: list[tuple[str, str]] = []
    if WITH_CREDENTIALS.search(text):
        found.append(("a connection string with credentials",
                      masked(CONNECTION_STRING.search(text).group(0))))  # type: ignore[union-attr]
    if not health:
        for what, pattern in PATTERNS:
            match = pattern.search(text)
            if match and not any(masked(match.group(0)) in seen for _, seen in found):
                found.append((what, masked(match.group(0))))
    if not found:
        return None
    request = answer.request
    said = "; ".join(f"{what} ({value!r})" for what, value in found)
    return Finding(
        Cause.INTERNAL_DETAIL_LEAK,
        ctx.clean(f"{request.method} {answer.sent_path or request.path} answered "
                  f"{answer.status} with {said}"),
        ctx.clean(f"{request.method} {answer.sent_path or request.path} ({request.label}) -> "
                  f"{answer.status}: {said}"), reproduce=ctx.reproduce(answer),
        latency_ms=answer.latency_ms)


@rule("internal-detail", shown_by="suites/rest/test_leaks.py::test_no_internal_details")
def internal_detail_check(judge: Judge, check: Check) -> Result:
    for answer in judge.evidence.answers.values():
        found = internal_detail(judge.ctx, answer, answer.request.suite == "health")
        if found is not None:
            return found
    return None
