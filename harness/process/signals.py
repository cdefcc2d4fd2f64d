"""Signals during container runs: SIGTERM/SIGHUP as KeyboardInterrupt, teardown shielded.

Owns the process-wide signal policy of runs that start containers:
- `interrupts_as_keyboard_interrupt()` wraps a whole run: SIGINT, SIGTERM and SIGHUP raise
  KeyboardInterrupt in the main thread, so every `finally:` and `stop()` runs;
- `shielded()` wraps what must not be cut in half (creating a container, tearing a stack down):
  a signal arriving inside is recorded and, if asked, raised when the section ends;
- while a stack is live (`register`), only the first signal interrupts: a second Ctrl-C cannot
  abort the cleanup the first one started; `atexit` stops whatever is still live.
`received()` tells which signal interrupted the run, for an "interrupted" verdict.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))


class Stoppable(Protocol):
    def stop(self) -> None: ...


class _State:
    def __init__(self) -> None:
        self.depth = 0                    # nesting of shielded() sections
        self.pending: int | None = None   # a signal that arrived inside one
        self.first: int | None = None     # the signal that interrupted the run
        self.live: list[Stoppable] = []   # stacks started and not yet stopped
        self.say: Callable[[str], object] = lambda text: print(text, file=sys.stderr, flush=True)


_state = _State()


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def _handle(signum: int, frame: Any) -> None:
    if _state.depth:
        _state.pending = _state.pending or signum
        _state.first = _state.first or signum
        _state.say(f"hermetic: {_name(signum)} received: finishing the container cleanup first")
        return
    if _state.first is not None and _state.live:
        _state.say(f"hermetic: {_name(signum)} again: still removing containers "
                   "(kill -9 would leave them to the next run's sweep)")
        return
    _state.first = _state.first or signum
    raise KeyboardInterrupt(_name(signum))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _install() -> dict[int, Any]:
    """Route SIGNALS to `_handle`; the handlers they had (to restore)."""
    previous: dict[int, Any] = {}
    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if current is not _handle:
            previous[sig] = signal.signal(sig, _handle)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[None]:
    """For a whole run: SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt (main thread only).

    The previous handlers come back on exit. Elsewhere than in the main thread it does nothing
    (Python delivers signals to the main thread only). Entering it starts a new run for
    `received()`.
    """
    _state.first = None
    if not _in_main_thread():
        yield
        return
    previous = _install()
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def shielded(*, reraise: bool = True) -> Iterator[None]:
    """A section no signal cuts short; one that arrived inside is raised at its end if `reraise`.

    Installs the handler for its duration when the run did not (e.g. a library caller).
    """
    previous = _install() if _in_main_thread() else {}
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        _restore(previous)
        pending = _state.pending if not _state.depth else None
        if pending is not None:
            _state.pending = None
            if reraise:
                raise KeyboardInterrupt(_name(pending))


def run_interruptible(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, where SIGINT/SIGTERM/SIGHUP cancel `main` (its `finally` blocks
    run at an await point, connections close) and then raise KeyboardInterrupt here.

    A handler that raises inside a running coroutine would tear the event loop down with
    tasks still pending; this is the orderly way. Outside the main thread: plain asyncio.run.
    """
    if not _in_main_thread():
        return asyncio.run(main)

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

        def cancel(signum: int) -> None:
            _state.first = _state.first or signum
            task.cancel()

        for sig in SIGNALS:
            loop.add_signal_handler(sig, cancel, sig)
        try:
            return await main
        except asyncio.CancelledError:
            if _state.first is None:
                raise
            raise KeyboardInterrupt(_name(_state.first)) from None
        finally:
            for sig, handler in previous.items():
                loop.remove_signal_handler(sig)
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    return asyncio.run(guarded())


def received() -> str | None:
    """Name of the signal that interrupted this run (SIGINT, SIGTERM, SIGHUP), None if none."""
    return _name(_state.first) if _state.first is not None else None


def register(stack: Stoppable, say: Callable[[str], object] | None = None) -> None:
    """A stack is live: atexit stops it if nothing else does; repeated signals are held off."""
    if stack not in _state.live:
        _state.live.append(stack)
    if say is not None:
        _state.say = say


def unregister(stack: Stoppable) -> None:
    with contextlib.suppress(ValueError):
        _state.live.remove(stack)


@atexit.register
def _stop_live() -> None:
    for stack in reversed(list(_state.live)):
        with contextlib.suppress(BaseException):
            stack.stop()
