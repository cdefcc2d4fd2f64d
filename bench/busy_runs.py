"""Healthy runs on a busy machine: one busy-loop process per core, then N runs of the main job.

A healthy target must never come out red because the machine (or the harness's own burst) is
slow. Prints each run's exit code, verdict and named causes; exits 1 if any run was not green.
Run from the repository root:

    python bench/busy_runs.py --runs 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="bound on the busy loops (they stop by themselves)")
    options = parser.parse_args()
    print(f"$ python bench/busy_runs.py --runs {options.runs}")
    burners = [subprocess.Popen([sys.executable, "-c", BUSY.format(s=options.max_seconds)])
               for _ in range(os.cpu_count() or 2)]
    green = True
    try:
        time.sleep(1)
        for number in range(1, options.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                report = Path(tmp) / "r.json"
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "harness", "--report-json",
                                       str(report)], capture_output=True, text=True, cwd=ROOT,
                                      timeout=180, check=False)
                doc = json.loads(report.read_text()) if report.exists() else {}
            causes = sorted({c["cause"] for c in doc.get("checks", []) if c["cause"]})
            green &= proc.returncode == 0
            print(f"run {number:2d}: exit {proc.returncode}, verdict {doc.get('verdict')}, "
                  f"causes {causes or 'none'}, {time.perf_counter() - started:.1f} s "
                  f"with {len(burners)} cores kept busy")
    finally:
        for burner in burners:
            burner.kill()
    return 0 if green else 1


if __name__ == "__main__":
    raise SystemExit(main())
