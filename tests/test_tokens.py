"""The auth matrix's bad tokens: what they claim, how they are signed, and a quiet output."""

from __future__ import annotations

import warnings

import jwt
import pytest

from harness.plan.tokens import expired_token, forged_token, unsigned_token

SECRET = "a-secret-of-at-least-32-bytes-for-hs256"


def test_expired_token_verifies_with_the_secret_but_is_expired() -> None:
    token = expired_token(SECRET)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"])
    claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                        options={"verify_exp": False})
    assert claims["exp"] < claims["iat"]


def test_a_short_target_secret_prints_no_library_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expired_token("24-bytes-long-secret-key")


def test_forged_and_unsigned_tokens_do_not_verify() -> None:
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged_token(), "the-real-secret-of-at-least-32-bytes!", algorithms=["HS256"])
    assert jwt.get_unverified_header(unsigned_token())["alg"] == "none"
