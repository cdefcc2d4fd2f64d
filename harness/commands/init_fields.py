"""What a login's 400/422 to an empty body says about its fields: the names it asks for, read
from structured validation errors (`{"errors": [{"param": "email"}]}`, `{"errors": {"email":
...}}`, `{"detail": [{"loc": ["body", "email"]}]}`) or from its message in the platform's words
("email and password are required", "E-Mail und Passwort sind erforderlich")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.judge.normalise import error_text

NAME_KEYS = ("param", "path", "field", "property", "name", "key", "loc")
USER_WORDS = ("email", "e-mail", "mail", "username", "user_name", "userName", "login",
              "identifier", "phone", "mobile", "handle", "user")
PASSWORD_MARKS = ("pass", "pwd", "kennwort", "contrase", "mot de passe", "senha")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class LoginFields:
    """The login body's fields as its answer named them; None: not named."""

    username: str | None
    password: str | None
    said: str
    structured: bool = False


def _structured(body: Any, depth: int = 0) -> list[str]:
    """Field names of validation errors, in the order the body gives them."""
    if depth > 4:
        return []
    names: list[str] = []
    if isinstance(body, list):
        for entry in body:
            names += _structured(entry, depth + 1)
    elif isinstance(body, dict):
        for key in NAME_KEYS:
            value = body.get(key)
            if isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
                value = value[-1]
            if isinstance(value, str) and WORD.fullmatch(value):
                names.append(value)
                break
        for key in ("errors", "details", "detail", "error", "fields", "validation"):
            value = body.get(key)
            if isinstance(value, dict) and all(isinstance(k, str) for k in value) and \
                    key in ("errors", "fields"):
                names += [k for k in value if WORD.fullmatch(k)]
            elif isinstance(value, list | dict):
                names += _structured(value, depth + 1)
    return names


def _is_password(word: str) -> bool:
    return any(mark in word.lower() for mark in PASSWORD_MARKS)


def _is_user(word: str) -> bool:
    return word.lower() in {known.lower() for known in USER_WORDS}


def _prose_field(word: str, password: bool) -> str:
    """A word of a sentence as a field name: `Email` -> `email`, `E-Mail` -> `email`, a
    password in another language -> `password`; camelCase stays as it is."""
    if password:
        return word if re.fullmatch(r"[a-z]*[Pp]ass(word)?|pwd|passwd|[a-z]+Password", word) \
            else "password"
    if re.fullmatch(r"[a-z]+[A-Z][A-Za-z]*", word):
        return word
    return word.lower().replace("-", "")


def login_fields(body: Any, text: str) -> LoginFields:
    """The username and password fields a login's validation answer names: the structured
    errors' names as they are, else the words of its message."""
    said = error_text(body) if body is not None else text
    said = said if isinstance(said, str) and said else text
    named = _structured(body)
    prose = WORD.findall(said)
    username = next((w for w in named if _is_user(w)), None) or next(
        (_prose_field(w, False) for w in prose if _is_user(w)), None)
    password = next((w for w in named if _is_password(w)), None) or next(
        (_prose_field(w, True) for w in prose if _is_password(w)), None)
    structured = bool(named) and (username in named or password in named)
    return LoginFields(username, password, said, structured)
