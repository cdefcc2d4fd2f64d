"""Live processes for watch's tests and its recorded session: the reference stack run as a
process of its own (`python -m harness.stacks.reference --port N [--fault NAME]`), and a
`python -m harness watch` whose output lines are read as they come."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK_SECRETS = {"REFERENCE_JWT_SECRET": "watch-session-signing-secret-0123456789abcdef",
                 "REFERENCE_PASSWORD": "watch-main-password-1",
                 "REFERENCE_PEER_PASSWORD": "watch-peer-password-2",
                 "REFERENCE_OUTSIDER_PASSWORD": "watch-outsider-password-3"}
LOGINS = {"SMOKE_USERNAME": "smoke-user", "SMOKE_PASSWORD": STACK_SECRETS["REFERENCE_PASSWORD"],
          "SMOKE_PEER_USERNAME": "smoke-peer",
          "SMOKE_PEER_PASSWORD": STACK_SECRETS["REFERENCE_PEER_PASSWORD"],
          "SMOKE_OUTSIDER_USERNAME": "smoke-outsider",
          "SMOKE_OUTSIDER_PASSWORD": STACK_SECRETS["REFERENCE_OUTSIDER_PASSWORD"]}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_"))}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lines:
    """A process whose stdout (stderr merged) is read line by line on a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env, cwd=cwd)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 60.0, after: int = 0) -> re.Match[str]:
        """The first line (from index `after`) matching `pattern`; AssertionError on time out
        or when the process ended without it."""
        deadline = time.monotonic() + timeout
        compiled = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                match = compiled.search(line)
                if match:
                    return match
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines))

    def interrupt(self, timeout: float = 60.0) -> int:
        """Ctrl-C, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


class StackProcess(Lines):
    """The reference stack in a process of its own, on `port`, with the shared test secrets."""

    def __init__(self, port: int, *faults: str) -> None:
        args = [sys.executable, "-m", "harness.stacks.reference", "--port", str(port)]
        for fault in faults:
            args += ["--fault", fault]
        super().__init__(args, clean_env(**STACK_SECRETS))
        self.url = f"http://127.0.0.1:{port}"
        self.wait_for(r"^reference stack: gateway ", timeout=30)

    def stop(self) -> int:
        """Stop it; the requests its gateway received."""
        self.interrupt()
        return int(self.wait_for(r"stopped after (\d+) requests", timeout=5).group(1))


class WatchProcess(Lines):
    """`python -m harness watch ARGS` with the stack's logins."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__([sys.executable, "-m", "harness", "watch", *args],
                         clean_env(**LOGINS, **(env or {})))

    def summary(self) -> tuple[int, int, int, int]:
        """(runs, their requests, polls, their requests) from the closing line."""
        match = self.wait_for(r"stopped: (\d+) runs? \((\d+) requests\) and (\d+) polls? "
                              r"\((\d+) requests\)", timeout=5)
        runs, requests, polls, poll_requests = map(int, match.groups())
        return runs, requests, polls, poll_requests
