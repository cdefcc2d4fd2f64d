"""The auth matrix's bad tokens: what they claim, how they are signed, and a quiet output."""

from __future__ import annotations

import time
import warnings

import jwt
import pytest

from harness.records.forgery import ALG_NONE, CLAIMS_SUBJECT, EXPIRED, FORGED_SIGNATURE, forge

SECRET = "a-secret-of-at-least-32-bytes-for-hs256"


@pytest.mark.parametrize("real", [None, "an-opaque-session-id"])
def test_without_a_jwt_the_expired_token_has_generic_claims(real: str | None) -> None:
    token = forge(EXPIRED, real, SECRET)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"])
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] < claims["iat"] and claims["sub"] == CLAIMS_SUBJECT


def test_the_expired_token_carries_the_run_tokens_claims_in_the_past() -> None:
    now = int(time.time())
    real = jwt.encode({"userId": "u-17", "iat": now, "nbf": now, "exp": now + 600}, SECRET,
                      algorithm="HS384", headers={"kid": "k1"})
    token = forge(EXPIRED, real, SECRET)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS384"])
    claims = jwt.decode(token, SECRET, algorithms=["HS384"], options={"verify_exp": False})
    assert claims["userId"] == "u-17" and claims["nbf"] == claims["iat"] < claims["exp"] < now
    assert jwt.get_unverified_header(token)["kid"] == "k1"


def test_a_short_target_secret_prints_no_library_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forge(EXPIRED, None, "24-bytes-long-secret-key")


@pytest.mark.parametrize("real", [None, "an-opaque-session-id", "not.a.jwt"])
def test_without_a_jwt_the_forgeries_carry_generic_claims(real: str | None) -> None:
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forge(FORGED_SIGNATURE, real), SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(forge(ALG_NONE, real))["alg"] == "none"
    assert jwt.decode(forge(ALG_NONE, real), options={"verify_signature": False})["sub"]


def test_a_forgery_of_a_jwt_keeps_its_header_and_claims_and_not_its_signature() -> None:
    claims = {"userId": "u-17", "email": "a@example.com", "exp": 2_000_000_000}
    real = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})
    forged, unsigned = forge(FORGED_SIGNATURE, real), forge(ALG_NONE, real)
    assert forged.rsplit(".", 1)[0] == real.rsplit(".", 1)[0]
    assert forged.rsplit(".", 1)[1] not in ("", real.rsplit(".", 1)[1])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(unsigned) == {"alg": "none", "typ": "JWT", "kid": "k1"}
    assert unsigned.endswith(".") and unsigned.split(".")[1] == real.split(".")[1]
    for token in (forged, unsigned):
        assert jwt.decode(token, options={"verify_signature": False}) == claims
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(unsigned, SECRET, algorithms=["HS256"])
