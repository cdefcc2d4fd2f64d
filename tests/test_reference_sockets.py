"""What a Socket.IO client sees from the reference stack's realtime variants and faults: a join
confirmed by an event, renamed events, and a server that checks tokens with another secret."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import socketio

from harness.stacks.reference import ReferenceStack
from tests.test_reference_faults import _token, create_conversation, socket_session

EVENT_TIMEOUT_S = 2.0


async def post_message(stack: ReferenceStack, token: str, conversation_id: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=5) as client:
        answer = await client.post("/api/messages", headers={"authorization": f"Bearer {token}"},
                                   json={"conversationId": conversation_id, "text": "hello"})
        answer.raise_for_status()


async def first(received: list, timeout: float = EVENT_TIMEOUT_S) -> object:
    """The first payload `received` collects, waiting up to `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not received and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert received, "no event arrived"
    return received[0]


def test_join_confirm_event_instead_of_an_ack(reference_stack) -> None:
    stack = reference_stack("join-confirm-event")
    token = _token(stack)
    conversation_id = create_conversation(stack, {"authorization": f"Bearer {token}"})
    joined: list = []
    errors: list = []
    messages: list = []

    async def scenario() -> None:
        events = {"conversation_joined": joined, "error": errors, "message:new": messages}
        async with socket_session(stack, token, events) as sio:
            with pytest.raises(socketio.exceptions.TimeoutError):
                await sio.call("conversation:join", {"conversationId": conversation_id},
                               timeout=1)
            assert await first(joined) == {"conversationId": conversation_id}
            joined.clear()
            await sio.emit("conversation:join", conversation_id)
            assert await first(joined) == {"conversationId": conversation_id}
            await sio.emit("conversation:join", "no-such-conversation")
            assert await first(errors) == {"message": "Conversation not found"}
            await post_message(stack, token, conversation_id)
            assert (await first(messages))["text"] == "hello"

    asyncio.run(scenario())


def test_event_names_variant_renames_join_and_message(reference_stack) -> None:
    stack = reference_stack("event-names-variant")
    token = _token(stack)
    conversation_id = create_conversation(stack, {"authorization": f"Bearer {token}"})
    renamed: list = []
    default: list = []

    async def scenario() -> None:
        events = {"new_message": renamed, "message:new": default}
        async with socket_session(stack, token, events) as sio:
            with pytest.raises(socketio.exceptions.TimeoutError):
                await sio.call("conversation:join", {"conversationId": conversation_id},
                               timeout=0.5)
            ack = await sio.call("join_conversation", {"conversationId": conversation_id},
                                 timeout=3)
            assert ack == {"ok": True, "conversationId": conversation_id}
            await post_message(stack, token, conversation_id)
            assert (await first(renamed))["conversationId"] == conversation_id
        assert default == []

    asyncio.run(scenario())


def test_secret_mismatch_refuses_a_token_rest_accepts(reference_stack) -> None:
    stack = reference_stack("secret-mismatch")
    token = _token(stack)
    rest = httpx.get(f"{stack.url}/api/conversations", timeout=5,
                     headers={"authorization": f"Bearer {token}"})
    assert rest.status_code == 200

    async def connect(auth: dict[str, str]) -> list:
        refusals: list = []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(stack.url, auth=auth, transports=["websocket"], wait_timeout=3)
        await sio.disconnect()
        return refusals

    assert asyncio.run(connect({"token": token})) == [
        {"message": "Authentication error: invalid signature"}]
    assert asyncio.run(connect({})) == [{"message": "Authentication error: No token provided"}]
