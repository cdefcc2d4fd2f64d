"""The kinds of check: each kind's rule, registered where it is judged, with the suite test
that shows it (as Schemathesis registers its checks).

    @rule("auth", shown_by="suites/rest/test_auth.py::test_rejects")
    def auth(judge: Judge, check: Check) -> Result: ...

The plan names a check's kind only; the registry knows its rule and the test that shows it,
so a report's check id (`suites/rest/test_auth.py::test_rejects[GET /api/x-no-token]`) and a
pytest node are the same string.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from harness.judge.findings import Finding
from harness.records.outcome import NotTested
from harness.records.plan import Check, kind_of_key

if TYPE_CHECKING:
    from harness.judge.judge import Judge


@dataclass(frozen=True)
class Blocked:
    """A rule's answer when the evidence it needs was never gathered because `by` failed."""

    by: str


Result = Finding | NotTested | Blocked | None
RuleFunction = Callable[["Judge", Check], Result]
F = TypeVar("F", bound=RuleFunction)


@dataclass(frozen=True)
class Kind:
    """A kind of check: its name, its rule and the suite test that shows it."""

    name: str
    shown_by: str
    rule: RuleFunction

    @property
    def suite(self) -> str:
        return self.shown_by.split("/")[1]

    @property
    def test_name(self) -> str:
        return self.shown_by.rsplit("::", 1)[1]


_KINDS: dict[str, Kind] = {}


def rule(kind: str, shown_by: str) -> Callable[[F], F]:
    """Register `function` as the rule of `kind`, shown by the suite test `shown_by`."""
    def register(function: F) -> F:
        if kind in _KINDS and _KINDS[kind].rule is not function:
            raise ValueError(f"two rules for the kind {kind!r}")
        _KINDS[kind] = Kind(kind, shown_by, function)
        return function
    return register


def kinds() -> dict[str, Kind]:
    """Every registered kind (each module of `harness.judge.rules` registers its kinds when it
    is first imported: a new module needs no list)."""
    from harness.judge import rules

    for module in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"{rules.__name__}.{module.name}")
    return _KINDS


def kind(name: str) -> Kind:
    try:
        return kinds()[name]
    except KeyError:
        raise KeyError(f"no rule is registered for the kind of check {name!r}") from None


def node_id(check: Check) -> str:
    """The check's id in reports: the node id of the suite test that shows it."""
    return f"{kind(check.kind).shown_by}[{check.id}]"


def shown_key(key: str) -> str:
    """A check key (`upgrade[websocket]`) as people read it: the test and its case
    (`test_upgrade_from_polling[websocket]`)."""
    name = kind_of_key(key)
    registered = kinds().get(name)
    return key if registered is None else registered.test_name + key[len(name):]


def report_id(key: str) -> str:
    """A check key as its report id (the node id)."""
    name = kind_of_key(key)
    registered = kinds().get(name)
    return key if registered is None else registered.shown_by + key[len(name):]
