"""A login that answers 400 about its body's fields is a contract finding naming the field,
not rejected credentials; the run is inconclusive (exit 2). A 400 about the credentials
themselves stays credentials-rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.conftest import HarnessRun
from tests.json_server import JsonHandler, serving


@pytest.fixture
def login_says() -> Iterator[Callable[[str], str]]:
    """A server whose login answers 400 with `message`; its URL."""
    with ExitStack() as servers:
        def start(message: str) -> str:
            class Login(JsonHandler):
                def do_POST(self) -> None:
                    self.body()
                    self.send_json(400, {"message": message})

                def do_GET(self) -> None:
                    self.send_json(200, {"status": "ok"})

            return servers.enter_context(serving(Login))

        yield start


CREDENTIALS = {"SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "pw-12345"}


def test_a_400_about_the_body_names_the_field(run_harness: Callable[..., HarnessRun],
                                              login_says: Callable[[str], str]) -> None:
    run = run_harness(login_says("email and password are required"), env=CREDENTIALS)
    assert run.code == 2, run.output
    assert run.root_cause == "contract-mismatch", run.output
    assert "'email'" in run.output and "auth.login.username_field" in run.output
    assert "check SMOKE_USERNAME" not in run.output


def test_a_400_about_the_credentials_is_still_rejected_credentials(
        run_harness: Callable[..., HarnessRun], login_says: Callable[[str], str]) -> None:
    run = run_harness(login_says("Invalid credentials"), env=CREDENTIALS)
    assert run.code == 2 and run.root_cause == "credentials-rejected", run.output
