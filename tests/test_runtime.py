"""The CLI's runtime, with probes in flight, is adopted by the plugin for the same target."""

from __future__ import annotations

from harness.config import resolve
from harness.runtime import SmokeRuntime, adopt, concurrency_for, hand_over


def test_adopts_the_handed_over_runtime_for_the_same_target(reference_stack) -> None:
    stack = reference_stack()
    config = resolve({"target_url": stack.url}, env={})
    cli_runtime = SmokeRuntime(config, concurrency=64)
    try:
        assert cli_runtime.preflight() is None
        hand_over(cli_runtime)
        adopted = adopt(resolve({"target_url": stack.url}, env={}), 64)
        assert adopted is cli_runtime
        assert adopted.requests_sent == 1
        adopted.preflight()
        assert adopted.requests_sent == 1  # the answer is reused, not fetched again
    finally:
        cli_runtime.close()


def test_another_target_or_concurrency_gets_a_new_runtime(reference_stack) -> None:
    stack = reference_stack()
    handed = SmokeRuntime(resolve({"target_url": stack.url}, env={}), concurrency=64)
    hand_over(handed)
    fresh = adopt(resolve({"target_url": stack.url}, env={}), 1)
    assert fresh is not handed and fresh.concurrency == 1
    assert adopt(resolve({"target_url": stack.url}, env={}), 64) is not handed
    handed.close()


def test_concurrency_for() -> None:
    assert concurrency_for(True, 32) == 1
    assert concurrency_for(False, None) == 64
    assert concurrency_for(False, 0) == 64
    assert concurrency_for(False, 8) == 8
