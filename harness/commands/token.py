"""`python -m harness token KIND`: the bad token a run sends as KIND (a forgery of
$SMOKE_TOKEN: `forged-signature`, `alg-none`, or `expired`, signed with $SMOKE_JWT_SECRET),
printed for a reproduce line to send: `-H "authorization: Bearer $(python -m harness token
expired)"`. The credentials come from the environment, never from the command line."""

from __future__ import annotations

import os
import sys

from harness.records.forgery import EXPIRED, forge


def print_token(kind: str) -> int:
    """Print `kind`'s forgery of $SMOKE_TOKEN (generic claims without one); 2 when the expired
    token has no $SMOKE_JWT_SECRET to be signed with."""
    secret = os.environ.get("SMOKE_JWT_SECRET") or None
    if kind == EXPIRED and secret is None:
        print("smoke-harness: token expired: set SMOKE_JWT_SECRET (the key the target signs "
              "with)", file=sys.stderr)
        return 2
    print(forge(kind, os.environ.get("SMOKE_TOKEN") or None, secret))
    return 0
