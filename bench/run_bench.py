"""Benchmark: the full default suite against a slow target, concurrent vs --sequential.

Starts the embedded reference stack behind bench/latency_proxy.py (added round trip, split
evenly each way), runs `python -m harness URL` in fresh processes concurrently and with
`--sequential`, several runs each, then cold loopback runs (embedded stack, no added latency,
interpreter start included) and interpreter start alone. Prints medians; exits 1 when a run's
verdict is not pass. Run from the repository root:

    python bench/run_bench.py --rtt-ms 100 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.latency_proxy import LatencyProxy  # noqa: E402
from harness.loop import LoopThread  # noqa: E402
from harness.stacks.reference import ReferenceStack  # noqa: E402

RUN_TIMEOUT_S = 180.0


@dataclass
class Run:
    """One `python -m harness` process: wall time and what its report and summary say."""

    seconds: float
    verdict: str
    checks: int
    skipped: int
    requests: int
    connections: int = 0
    outcomes: dict[str, tuple[str, str | None]] | None = None


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_"))}
    return {**env, **(extra or {})}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=clean_env(env),
                          cwd=ROOT, timeout=RUN_TIMEOUT_S, check=False)
    return time.perf_counter() - started, proc.stdout + proc.stderr


def run_harness(args: list[str], env: dict[str, str] | None = None) -> Run:
    with tempfile.TemporaryDirectory(prefix="smoke-bench-") as tmp:
        report_path = Path(tmp) / "report.json"
        seconds, output = timed([sys.executable, "-m", "harness", *args,
                                 "--report-json", str(report_path)], env)
        if not report_path.exists():
            return Run(seconds, f"no report ({output.strip()[-300:]})", 0, 0, 0)
        report = json.loads(report_path.read_text())
    checks = report["checks"]
    skipped = sum(1 for check in checks if check["outcome"] == "skipped")
    return Run(seconds, report["verdict"], len(checks) - skipped, skipped,
               report["requests_sent"],
               outcomes={c["id"]: (c["outcome"], c["cause"]) for c in checks})


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def interpreter_start(runs: int) -> tuple[float, float]:
    bare = [timed([sys.executable, "-c", "pass"])[0] for _ in range(runs)]
    harness = [timed([sys.executable, "-c", "import harness.cli"])[0] for _ in range(runs)]
    return median(bare), median(harness)


def slow_runs(rtt_s: float, runs: int) -> dict[str, list[Run]]:
    """Concurrent and --sequential runs through the latency proxy, interleaved."""
    loop = LoopThread("latency-proxy")
    stack = ReferenceStack(log_path=Path(tempfile.mkdtemp(prefix="smoke-bench-")) / "stack.log")
    try:
        stack.start()
        port = int(stack.url.rsplit(":", 1)[1])
        proxy = loop.run(LatencyProxy(("127.0.0.1", port), rtt_s,
                                      lifetime_s=RUN_TIMEOUT_S * runs * 3).start(), timeout=5)
        settings = stack.settings
        env = {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
               "SMOKE_JWT_SECRET": settings.jwt_secret}
        args = [proxy.url, f"--expect-service=messaging={stack.messaging_url}"]
        modes: dict[str, list[Run]] = {"concurrent": [], "sequential": []}
        for _ in range(runs):
            for mode, extra in (("concurrent", []), ("sequential", ["--sequential"])):
                before = proxy.connections
                run = run_harness([*args, *extra], env)
                run.connections = proxy.connections - before
                modes[mode].append(run)
        loop.run(proxy.stop(), timeout=10)
        return modes
    finally:
        stack.stop()
        loop.close()


def describe(runs: list[Run]) -> str:
    last = runs[-1]
    return (f"checks {last.checks} (+{last.skipped} skipped), requests {last.requests}, "
            f"verdicts {','.join(sorted({run.verdict for run in runs}))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, default=100.0, help="added round trip (100)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode (3)")
    options = parser.parse_args()
    rtt_s = options.rtt_ms / 1000
    print(f"$ {shlex.join(['python', *sys.argv])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {options.runs} runs each, "
          f"medians\n")

    bare, imports = interpreter_start(options.runs)
    print(f"interpreter start: python -c pass {bare:.3f} s; "
          f"python -c 'import harness.cli' {imports:.3f} s\n")

    modes = slow_runs(rtt_s, options.runs)
    print(f"full default suite via `python -m harness URL` behind +{options.rtt_ms:g} ms RTT:")
    for mode, runs in modes.items():
        wall = median([run.seconds for run in runs])
        print(f"  {mode:<10} wall {wall:6.2f} s = {wall / rtt_s:5.1f} RTT "
              f"({(wall - imports) / rtt_s:5.1f} RTT after imports); "
              f"TCP connections {runs[-1].connections}; {describe(runs)}")
    fast = median([run.seconds for run in modes["concurrent"]])
    slow = median([run.seconds for run in modes["sequential"]])
    budget = imports + 12 * rtt_s
    print(f"  speed-up {slow / fast:.1f}x (target >= 5x); concurrent {fast:.2f} s vs "
          f"import start + 12 RTT = {budget:.2f} s (target: within)")
    same = all(run.outcomes == modes["concurrent"][0].outcomes
               for runs in modes.values() for run in runs)
    print(f"  same (check -> outcome, cause) in every run: {'yes' if same else 'NO'}\n")

    cold = [run_harness([]) for _ in range(options.runs)]
    wall = median([run.seconds for run in cold])
    print(f"loopback cold `python -m harness` (embedded stack, interpreter start included): "
          f"wall {wall:.2f} s (target < 3 s); {describe(cold)}")

    verdicts = {run.verdict for runs in (*modes.values(), cold) for run in runs}
    if verdicts != {"pass"}:
        print(f"FAIL: not every run passed: {sorted(verdicts)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
