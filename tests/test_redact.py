"""The redactor masks known secrets and anything shaped like a credential."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

import jwt
import pytest

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


HOSTILE_SECRETS = [
    'p"a\\s<s&wörd', "tök€n-ÿ/with spaces+plus", "short-but-ok", "日本語のパスワード",
]


def _forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    forms = {
        "raw": secret,
        "json-ascii": json.dumps(secret)[1:-1],
        "json-unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json-in-json": json.dumps(json.dumps(secret)[1:-1])[1:-1],
        "unicode-json-in-ascii-json": json.dumps(
            json.dumps(secret, ensure_ascii=False)[1:-1])[1:-1],
        "quote": quote(secret, safe=""),
        "quote-lower-hex": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(),
                                  quote(secret, safe="")),
        "quote_plus": quote_plus(secret, safe=""),
        "html": html.escape(secret),
        "b64": base64.b64encode(raw).decode(),
        "b64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "b64-urlsafe": base64.urlsafe_b64encode(raw).decode(),
        "b64-urlsafe-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    for prefix in ("u:", "us:", "use:"):
        forms[f"basic-{prefix}"] = base64.b64encode(f"{prefix}{secret}".encode()).decode()
        forms[f"embedded-urlsafe-{prefix}"] = base64.urlsafe_b64encode(
            f"{prefix}{secret}!".encode()).decode()
    return forms


@pytest.mark.parametrize("secret", HOSTILE_SECRETS)
def test_every_encoded_form_of_a_secret_is_masked(secret: str) -> None:
    redactor = Redactor([secret])
    for name, form in _forms(secret).items():
        for context in (f"x {form} y", f'{{"echo":"{form}"}}', f"Authorization: Basic {form}"):
            masked = redactor.text(context)
            assert form not in masked, (name, context, masked)
            assert MASK in masked, (name, context)


@pytest.mark.parametrize("secret", HOSTILE_SECRETS)
def test_a_secret_inside_a_longer_base64_value_is_masked_at_any_alignment(secret: str) -> None:
    """Whole runs at every byte alignment, and runs cut anywhere before the secret starts."""
    redactor = Redactor([secret])
    for prefix in ("", "a", "ab", "abc", "abcd", "abcde"):
        encoded = base64.b64encode(f"{prefix}{secret}tail".encode()).decode()
        for cut in range(min(4, len(prefix) * 8 // 6 + 1)):
            fragment = encoded[cut:]
            assert redactor.text(f"seen {fragment} .") != f"seen {fragment} .", (prefix, cut)


def test_an_echoed_login_body_loses_the_password_in_every_form() -> None:
    password = 'p"a\\s<s&wörd'
    body = json.dumps({"echo": {"body": json.dumps({"username": "u", "password": password})}})
    masked = Redactor([password]).text(body)
    assert "wörd" not in masked and "w\\u00f6rd" not in masked


def test_bytes_are_redacted_and_invalid_utf8_passes_through() -> None:
    redactor = Redactor(["sekret-value"])
    assert redactor.bytes(b"\xff sekret-value \xfe") == f"\xff {MASK} \xfe".encode("latin-1")
    assert redactor.bytes(b"\xc3\x28 plain") == b"\xc3\x28 plain"


def test_secrets_shorter_than_four_characters_are_ignored() -> None:
    assert Redactor(["abc", "", "pw"]).text("abc pw cabbage") == "abc pw cabbage"
    redactor = Redactor()
    redactor.add("abc")
    redactor.add(None)
    assert redactor.text("abc") == "abc"


def test_keyed_values_with_escaped_quotes_are_masked_whole() -> None:
    text = Redactor().text('{"password":"a\\"b\\"c","x":1} and \\"token\\":\\"abc\\"')
    assert text == f'{{"password":"{MASK}","x":1}} and \\"token\\":\\"{MASK}\\"'


def test_unrelated_text_is_left_alone() -> None:
    text = '{"status":"ok","services":{"messaging":"http://127.0.0.1:1"}} /api/conversations'
    assert Redactor(["hunter2-password"]).text(text) == text


def test_api_key_headers_are_masked() -> None:
    headers = Redactor().headers({"X-Api-Key": "k", "Set-Cookie": "a=b", "X-Other": "Bearer t"})
    assert headers == {"X-Api-Key": MASK, "Set-Cookie": MASK, "X-Other": f"Bearer {MASK}"}
