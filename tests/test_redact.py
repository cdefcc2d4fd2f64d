"""The redactor masks known secrets and anything shaped like a credential."""

from __future__ import annotations

import jwt

from harness.sanitize.redact import MASK, Redactor


def test_known_secret_values_are_masked_everywhere_in_text() -> None:
    redactor = Redactor(["hunter2-password"])
    assert redactor.text("login with hunter2-password failed") == f"login with {MASK} failed"


def test_jwts_bearer_and_basic_credentials_are_masked() -> None:
    token = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    text = Redactor().text(
        f'{{"token":"{token}"}} Authorization: Bearer abc.def Basic Zm9vOmJhcg==')
    assert token not in text and "abc.def" not in text and "Zm9vOmJhcg==" not in text


def test_keyed_values_are_masked_but_keep_their_shape() -> None:
    text = Redactor().text('{"password": "pw1", "secret": "s3", "note": "keep"} token=abc')
    assert text == f'{{"password": "{MASK}", "secret": "{MASK}", "note": "keep"}} token={MASK}'


def test_sensitive_headers_are_masked() -> None:
    headers = Redactor().headers({"Authorization": "Bearer x", "Cookie": "sid=1", "Accept": "*/*"})
    assert headers == {"Authorization": MASK, "Cookie": MASK, "Accept": "*/*"}


def test_secrets_added_later_are_masked() -> None:
    redactor = Redactor()
    redactor.add("late-secret-value")
    assert "late-secret-value" not in redactor.text("x late-secret-value y")
