"""With a valid token: lists answer 200 JSON, a conversation and a message can be created."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.contract import Contract
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.plugin import runtime_of
from harness.probe import HttpProber, Probe, ProbeResult
from harness.rest_checks import ListCase, created_id, list_cases, post_message_probe, smoke_tag


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "list_case" in metafunc.fixturenames:
        cases = list_cases(runtime_of(metafunc.config).config.contract)
        metafunc.parametrize("list_case", cases, ids=[case.id for case in cases])


def test_lists(list_case: ListCase, send_authorized: Callable[[Probe], ProbeResult],
               diagnoser: Diagnoser) -> None:
    violate(diagnoser.expect(send_authorized(list_case.request), [200]))


@pytest.mark.writes
def test_create_conversation(created_conversation: ProbeResult, diagnoser: Diagnoser,
                             contract: Contract) -> None:
    violate(diagnoser.created(created_conversation, contract.flow.created_statuses,
                              contract.flow.id_fields))


@pytest.mark.writes
def test_post_message(created_conversation: ProbeResult, prober: HttpProber,
                      diagnoser: Diagnoser, contract: Contract, auth_token: str) -> None:
    conversation_id = created_id(created_conversation.json(), contract.flow.id_fields)
    if created_conversation.status not in contract.flow.created_statuses or not conversation_id:
        pytest.skip("no conversation to post to: see test_create_conversation")
    probe = post_message_probe(contract, auth_token, conversation_id, smoke_tag(contract))
    violate(diagnoser.created(prober.result(probe), contract.flow.created_statuses,
                              contract.flow.id_fields))
