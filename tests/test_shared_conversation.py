"""The run's one conversation is awaited by many steps (the post, the `{conversation_id}`
routes, the room's listeners); a listener cancelled because its session ended (a connect
refused: services that check tokens with another secret) must not cancel it for the others.
Seen on an independently written Node target: a traceback and exit 1 in 6 of 10 runs."""

from __future__ import annotations

import asyncio

from harness.config import resolve
from harness.engine import _readers
from harness.plan import build_plan
from harness.probes.execute import Executor
from harness.probes.http import HttpProbeClient


def test_a_cancelled_listener_leaves_the_runs_conversation_to_the_others() -> None:
    async def scenario() -> tuple[bool, tuple[str | None, str]]:
        config = resolve({"target_url": "http://127.0.0.1:9"},
                         env={"SMOKE_USERNAME": "u", "SMOKE_PASSWORD": "p"})
        client = HttpProbeClient(config.base_url, timeout_s=1.0)
        executor = Executor(config, build_plan(config), client, _readers(config))
        created = asyncio.get_running_loop().create_future()
        executor._conversation = created
        listener = asyncio.ensure_future(executor._socket_conversation())
        await asyncio.sleep(0)  # the listener now waits for the conversation
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        cancelled = created.cancelled()
        if not cancelled:
            created.set_result(("c1", ""))
        await client.close()
        return cancelled, await created if not cancelled else (None, "cancelled")

    cancelled, conversation = asyncio.run(scenario())
    assert not cancelled and conversation == ("c1", "")
