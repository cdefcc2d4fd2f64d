"""Docker tests on a busy machine: one busy-loop process per core, then N runs of given tests.

Containers must neither vanish mid-start nor be waited out wrongly because the machine is slow.
Runs `CI=true pytest -n 0 -m docker NODE_IDS` (CI=true: a missing engine fails, never skips)
N times in a row, one pytest at a time, printing each run's exit code and pytest's summary line
(and the failed tests); the whole output of a failed run is kept in a file it names. Exits 1 if
any run failed. Run from the repository root:

    python bench/busy_docker_tests.py --runs 3 tests/test_stacks_start.py::test_x ...
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"


def summary(output: str) -> tuple[str, list[str]]:
    """pytest's last summary line ("6 passed in 80.1s") and its FAILED/ERROR lines."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    last = next((line.strip("= ") for line in reversed(lines)
                 if " in " in line and ("passed" in line or "failed" in line
                                        or "error" in line)), "(no pytest summary)")
    return last, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("node_ids", nargs="+", help="pytest node ids (or files) to run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="bound on the busy loops (they stop by themselves)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="bound on one pytest run, in seconds")
    options = parser.parse_args()
    print(f"$ python bench/busy_docker_tests.py --runs {options.runs} "
          + " ".join(options.node_ids), flush=True)
    burners = [subprocess.Popen([sys.executable, "-c", BUSY.format(s=options.max_seconds)])
               for _ in range(os.cpu_count() or 2)]
    env = {**os.environ, "CI": "true"}
    green = True
    try:
        time.sleep(1)
        for number in range(1, options.runs + 1):
            started = time.perf_counter()
            command = [sys.executable, "-m", "pytest", "-n", "0", "-m", "docker", "-rfE",
                       *options.node_ids]
            try:
                proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                                      env=env, timeout=options.timeout, check=False)
                code, output = proc.returncode, proc.stdout + proc.stderr
            except subprocess.TimeoutExpired as exc:  # its output is bytes, whatever `text`
                code = -1
                output = "".join(part.decode(errors="replace") if isinstance(part, bytes)
                                 else part or "" for part in (exc.stdout, exc.stderr))
                output += f"\n(timed out after {options.timeout:g} s)"
            last, failed = summary(output)
            green &= code == 0
            print(f"run {number}: exit {code}, {last}, {time.perf_counter() - started:.1f} s "
                  f"with {len(burners)} cores kept busy", flush=True)
            if code != 0:
                kept = Path(tempfile.mkstemp(prefix=f"busy-docker-run{number}-",
                                             suffix=".log")[1])
                kept.write_text(output)
                for line in failed:
                    print(f"    {line}", flush=True)
                print(f"    full output: {kept}", flush=True)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    return 0 if green else 1


if __name__ == "__main__":
    raise SystemExit(main())
