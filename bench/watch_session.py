"""A recorded terminal session of `python -m harness watch` across three restarts of the
reference stack run in another process: a fault switched on, off again, then a plain restart;
with the requests each phase sent (what the stack's gateway received, and what watch said it
sent: its runs and its polls). Then `python -m harness history` of those runs.

Run from the repository root (about a minute):

    python bench/watch_session.py bench/watch_session.txt bench/watch_history.txt
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_processes import (  # noqa: E402 - the repository root is on the path now
    ROOT,
    StackProcess,
    WatchProcess,
    clean_env,
    free_port,
)

FAULT = "notifications-unavailable"
# a declared budget on the health route: watch polls every 3 s (a tenth of 200 per minute)
CONTRACT_LINES = ("rate_limits:\n- prefix: /api/health\n  limit: 200\n  window_s: 60\n")
PHASES = ((), (FAULT,), (), ())
SETTLE_S = 4.0  # a few polls with nothing changed after each run


def main(session_file: str, history_file: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="watch-session-"))
    contract = work / "contract.yaml"
    contract.write_text((ROOT / "fixtures" / "contract.default.yaml").read_text()
                        + CONTRACT_LINES)
    history = work / "history.sqlite"
    port = free_port()
    stack = StackProcess(port, *PHASES[0])
    watch = WatchProcess(stack.url, "--contract", str(contract), "--history", str(history))
    received: list[int] = []
    try:
        for number in range(1, len(PHASES) + 1):
            watch.wait_for(rf"run {number}: ", timeout=120)
            time.sleep(SETTLE_S)
            received.append(stack.stop())
            if number < len(PHASES):
                time.sleep(1.0)
                stack = StackProcess(port, *PHASES[number])
    finally:
        code = watch.interrupt()
    session = "\n".join(watch.lines)
    runs = [int(m.group(1)) for m in re.finditer(r"run \d+: \w+ in [\d.]+ s, (\d+) requests",
                                                  session)]
    lines = [f"$ python -m harness watch {stack.url} --contract contract.yaml "
             "(restarts of `python -m harness.stacks.reference --port "
             f"{port}` in another process)", session, f"(exit code {code})", "",
             "requests each phase sent (phase N: the stack process that run N verified):",
             "phase  faults                       gateway received  = run N  + polls"]
    for number, faults in enumerate(PHASES, start=1):
        run = runs[number - 1] if number <= len(runs) else 0
        lines.append(f"{number:>5}  {', '.join(faults) or '-':<28} {received[number - 1]:>16}"
                     f"  {run:>7}  {received[number - 1] - run:>7}")
    total_runs, total_polls = sum(runs), int(re.findall(r"and (\d+) polls", session)[-1])
    lines.append(f"total: the stacks received {sum(received)} requests; watch announced "
                 f"{total_runs} in its runs and {total_polls} polls ({total_runs + total_polls}); "
                 "a poll while the stack was down reached no one")
    Path(session_file).write_text("\n".join(lines) + "\n")
    listed = subprocess.run([sys.executable, "-m", "harness", "history", "--history",
                             str(history)], capture_output=True, text=True, timeout=60,
                            env=clean_env(), cwd=ROOT)
    Path(history_file).write_text(f"$ python -m harness history --history {history.name} "
                                  f"(the session's own history)\n{listed.stdout}")
    print(Path(session_file).read_text() + "\n" + Path(history_file).read_text())


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else
           ("bench/watch_session.txt", "bench/watch_history.txt")))
