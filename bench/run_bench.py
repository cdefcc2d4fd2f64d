"""Benchmark: requests and wall time of a verdict, as the gateway counts them.

Starts the embedded reference stack behind bench/latency_proxy.py (the added round trip split
evenly each way) and runs `python -m harness URL` in fresh processes: the default plan,
`--thorough`, `--sequential` and `-- -n 2`. For each it prints the median wall time, the
requests the gateway received (its own counter: websocket upgrades and Socket.IO polling
included) and the requests the harness says it sent; the two must agree. Then, on loopback
against one running stack, the harness next to a plain pytest + httpx suite of the same REST
checks (bench/plain_suite), and the cold main job that starts the embedded stack itself.
Exits 1 when a run is not green or the counts disagree. Run from the repository root:

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
from harness.stacks.reference import ReferenceStack  # noqa: E402
from harness.stacks.reference.loop import LoopThread  # noqa: E402

RUN_TIMEOUT_S = 180.0
MODES = {"default": [], "--thorough": ["--thorough"], "--sequential": ["--sequential"],
         "-n 2": ["--", "-n", "2"]}


@dataclass
class Run:
    seconds: float
    verdict: str
    said: int
    counted: int


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_", "BENCH_"))}
    return {**env, **(extra or {})}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=clean_env(env),
                          cwd=ROOT, timeout=RUN_TIMEOUT_S, check=False)
    return time.perf_counter() - started, proc.stdout + proc.stderr


def harness_run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix="smoke-bench-") as tmp:
        report_path = Path(tmp) / "report.json"
        extra = args.index("--") if "--" in args else len(args)
        command = [sys.executable, "-m", "harness", *args[:extra], "--report-json",
                   str(report_path), *args[extra:]]
        seconds, output = timed(command, env)
        if not report_path.exists():
            return seconds, {"verdict": f"no report: {output.strip()[-300:]}",
                             "requests_sent": -1}
        return seconds, json.loads(report_path.read_text())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def proxied_runs(rtt_s: float, runs: int) -> dict[str, list[Run]]:
    loop = LoopThread("latency-proxy")
    results: dict[str, list[Run]] = {mode: [] for mode in MODES}
    for _ in range(runs):
        for mode, extra in MODES.items():
            stack = ReferenceStack(log_path=Path(tempfile.mkdtemp(prefix="bench-")) / "s.log")
            stack.start()
            try:
                port = int(stack.url.rsplit(":", 1)[1])
                proxy = loop.run(LatencyProxy(("127.0.0.1", port), rtt_s,
                                              lifetime_s=RUN_TIMEOUT_S).start(), timeout=5)
                settings = stack.settings
                env = {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
                       "SMOKE_JWT_SECRET": settings.jwt_secret}
                args = [proxy.url, f"--expect-service=messaging={stack.messaging_url}",
                        "--origin", "http://localhost:3000"]
                before = stack.requests_received
                seconds, report = harness_run([*args, *extra], env)
                results[mode].append(Run(seconds, report["verdict"], report["requests_sent"],
                                         stack.requests_received - before))
                loop.run(proxy.stop(), timeout=10)
            finally:
                stack.stop()
    loop.close()
    return results


def loopback_runs(runs: int) -> dict[str, float]:
    """Against one running stack on loopback (no added latency), interpreter start included:
    the harness (every suite, then the REST suite only) and the plain pytest + httpx suite."""
    commands = {
        "python -m harness URL": [sys.executable, "-m", "harness", "{url}"],
        "python -m harness URL --suite rest": [sys.executable, "-m", "harness", "{url}",
                                               "--suite", "rest"],
        "plain pytest + httpx (REST checks)": [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
            "--rootdir", str(ROOT / "bench"), str(ROOT / "bench" / "plain_suite")],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    with ReferenceStack() as stack:
        settings = stack.settings
        env = {"BENCH_URL": stack.url, "SMOKE_USERNAME": settings.username,
               "SMOKE_PASSWORD": settings.password}
        for _ in range(runs):
            for name, command in commands.items():
                seconds, output = timed([part.format(url=stack.url) for part in command], env)
                if "VERDICT: PASS" not in output and " passed" not in output:
                    raise SystemExit(f"{name} did not pass:\n{output[-2000:]}")
                walls[name].append(seconds)
    return {name: median(values) for name, values in walls.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, default=100.0, help="added round trip (100)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode (3)")
    options = parser.parse_args()
    rtt_s = options.rtt_ms / 1000
    print(f"$ {shlex.join(['python', *sys.argv])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {options.runs} runs each, "
          "medians\n")
    print(f"default contract against the embedded stack behind +{options.rtt_ms:g} ms RTT:")
    ok = True
    for mode, runs in proxied_runs(rtt_s, options.runs).items():
        agree = all(run.said == run.counted for run in runs)
        ok &= agree and all(run.verdict == "pass" for run in runs)
        last = runs[-1]
        print(f"  {mode:<13} wall {median([r.seconds for r in runs]):5.2f} s; requests counted "
              f"by the gateway {last.counted:3d}, said by the harness {last.said:3d} "
              f"({'agree' if agree else 'DISAGREE'}); verdicts "
              f"{','.join(sorted({r.verdict for r in runs}))}")
    print("\nloopback, a running stack, interpreter start included:")
    for name, wall in loopback_runs(options.runs).items():
        print(f"  {name:<36} {wall:5.2f} s")
    cold = [harness_run([])[0] for _ in range(options.runs)]
    print(f"  {'python -m harness (starts the stack)':<36} {median(cold):5.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
