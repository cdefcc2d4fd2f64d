"""A password that a target echoes inside its own JSON error is masked however many times it
was escaped on the way (our JSON body, the target's JSON string, the report's repr, the
sign-off page's HTML): quotes, `<`, `&`, a backslash and a non-ASCII letter."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import HarnessRun
from tests.json_server import JsonHandler, serving

PASSWORD = 'p"a<s&s\\wörd-7Q'


class EchoBody(JsonHandler):
    """Every POST answers 400 with the request body inside its own JSON error."""

    def do_POST(self) -> None:
        received = self.body().decode("utf-8", "replace")
        self.send_json(400, {"error": "bad request", "received": received}, ensure_ascii=False)

    def do_GET(self) -> None:
        self.send_json(200, {"status": "ok"})


@pytest.fixture
def echo_body() -> Iterator[str]:
    with serving(EchoBody) as url:
        yield url


def forms(secret: str, depth: int = 3) -> set[str]:
    """The secret escaped up to `depth` times by JSON (ASCII or not), repr, HTML."""
    found = {secret}
    for _ in range(depth):
        found |= {f for s in found for f in (
            json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1],
            repr(s)[1:-1], html.escape(s))}
    return {f for f in found if len(f) >= 8}


def test_a_password_echoed_and_escaped_twice_is_masked(
        run_harness: Callable[..., HarnessRun], echo_body: str, tmp_path: Path) -> None:
    page = tmp_path / "signoff.html"
    run = run_harness(echo_body, "--suite", "rest", "--signoff-report", str(page),
                      env={"SMOKE_USERNAME": "me", "SMOKE_PASSWORD": PASSWORD})
    assert run.report is not None, run.output
    assert "bad request" in json.dumps(run.report), "the echo was read"
    texts = [run.output, json.dumps(run.report), Path(run.files[0]).read_text(),
             page.read_text()]
    leaked = [form for form in forms(PASSWORD) for text in texts if form in text]
    assert not leaked, leaked
