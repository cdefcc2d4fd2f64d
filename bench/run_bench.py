"""Benchmark: the round trips, requests and start-up a verdict costs, as the gateway counts them.

Starts the embedded reference stack behind bench/latency_proxy.py (the added round trip split
evenly each way) and runs `python -m harness URL` in fresh processes with a login (no peer or
outsider: the default run a user makes), at each added RTT (0, 100 and 300 ms by default): the
default plan and `--thorough`; then, apart, the default plan with a peer and an outsider (its
fixed windows, in which the outsider must receive nothing, are the same at every RTT). For
each it prints the median wall time, the round trips paid for the latency ((wall through the
proxy - wall direct) / RTT), the requests the gateway received (its own counter: websocket
upgrades and Socket.IO polling included) and the requests the harness says it sent; the two
must agree. Then start-up: the direct run against a running stack on loopback (interpreter
start included) and the import time of the CLI. `--timeline` prints the timeline of one
default run at the largest RTT (each request and Socket.IO step, start and end). Exits 1 when
a run is not green or the counts disagree. Run from the repository root:

    python bench/run_bench.py --rtt-ms 0,100,300 --runs 3 --timeline
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
from harness.reports.terminal import timeline_lines  # noqa: E402
from harness.stacks.reference import ReferenceStack  # noqa: E402
from harness.stacks.reference.loop import LoopThread  # noqa: E402

RUN_TIMEOUT_S = 180.0
MODES = {"default": [], "--thorough": ["--thorough"], "identities": []}
IDENTITIES = "identities"  # a peer and an outsider: fixed windows (nothing must arrive), apart


@dataclass
class Run:
    seconds: float
    verdict: str
    said: int
    counted: int
    timeline: list[dict]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_", "BENCH_"))}
    return {**env, "SMOKE_HISTORY": os.devnull, **(extra or {})}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=clean_env(env),
                          cwd=ROOT, timeout=RUN_TIMEOUT_S, check=False)
    return time.perf_counter() - started, proc.stdout + proc.stderr


def harness_run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix="smoke-bench-") as tmp:
        report_path = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "harness", *args, "--no-history", "--report-json",
                   str(report_path)]
        seconds, output = timed(command, env)
        if not report_path.exists():
            return seconds, {"verdict": f"no report: {output.strip()[-300:]}",
                             "requests_sent": -1}
        return seconds, json.loads(report_path.read_text())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def proxied_runs(rtts_s: list[float], runs: int) -> dict[tuple[str, float], list[Run]]:
    """Each mode at each added RTT, `runs` times, interleaved (a slow minute hits them all)."""
    loop = LoopThread("latency-proxy")
    results: dict[tuple[str, float], list[Run]] = {
        (mode, rtt): [] for mode in MODES for rtt in rtts_s}
    for _ in range(runs):
        for (mode, rtt), done in results.items():
            stack = ReferenceStack(log_path=Path(tempfile.mkdtemp(prefix="bench-")) / "s.log")
            stack.start()
            try:
                port = int(stack.url.rsplit(":", 1)[1])
                proxy = loop.run(LatencyProxy(("127.0.0.1", port), rtt,
                                              lifetime_s=RUN_TIMEOUT_S).start(), timeout=5)
                settings = stack.settings
                env = {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password}
                if mode == IDENTITIES:
                    env.update({"SMOKE_PEER_USERNAME": settings.peer_username,
                                "SMOKE_PEER_PASSWORD": settings.peer_password,
                                "SMOKE_OUTSIDER_USERNAME": settings.outsider_username,
                                "SMOKE_OUTSIDER_PASSWORD": settings.outsider_password})
                args = [proxy.url, f"--expect-service=messaging={stack.messaging_url}",
                        "--origin", "http://localhost:3000", *MODES[mode]]
                before = stack.requests_received
                seconds, report = harness_run(args, env)
                done.append(Run(seconds, report["verdict"], report["requests_sent"],
                                stack.requests_received - before, report.get("timeline", [])))
                loop.run(proxy.stop(), timeout=10)
            finally:
                stack.stop()
    loop.close()
    return results


def startup(runs: int) -> tuple[float, float]:
    """The direct run against a running stack on loopback (interpreter start included), and
    the import time of the CLI module alone."""
    walls: list[float] = []
    with ReferenceStack() as stack:
        settings = stack.settings
        env = {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password}
        for _ in range(runs):
            seconds, report = harness_run([stack.url], env)
            if report["verdict"] != "pass":
                raise SystemExit(f"the direct run did not pass: {report['verdict']}")
            walls.append(seconds)
    imports = [timed([sys.executable, "-c", "import harness.cli"])[0] for _ in range(runs)]
    return median(walls), median(imports)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", default="0,100,300",
                        help="added round trips, comma-separated (0,100,300)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode (3)")
    parser.add_argument("--timeline", action="store_true",
                        help="print one default run's timeline at the largest RTT")
    options = parser.parse_args()
    rtts = sorted({float(part) / 1000 for part in options.rtt_ms.split(",")} | {0.0})
    print(f"$ {shlex.join(['python', *sys.argv])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {options.runs} runs each, "
          "medians; login as SMOKE_USERNAME/SMOKE_PASSWORD, no peer or outsider but in "
          "'identities'\n")
    results = proxied_runs(rtts, options.runs)
    ok = True
    print(f"{'mode':<12} {'RTT':>6} {'wall':>7} {'RTT paid':>9} {'requests':>9}  verdicts")
    for mode in MODES:
        direct = median([run.seconds for run in results[(mode, 0.0)]])
        for rtt in rtts:
            runs = results[(mode, rtt)]
            agree = all(run.said == run.counted for run in runs)
            ok &= agree and all(run.verdict == "pass" for run in runs)
            wall = median([run.seconds for run in runs])
            paid = f"{(wall - direct) / rtt:9.1f}" if rtt else f"{'-':>9}"
            counted = runs[-1].counted
            print(f"{mode:<12} {rtt * 1000:4.0f}ms {wall:6.2f}s {paid} {counted:9d}  "
                  f"{','.join(sorted({r.verdict for r in runs}))}"
                  f"{'' if agree else f' (harness said {runs[-1].said}: DISAGREE)'}")
    direct_s, import_s = startup(options.runs)
    print(f"\nstart-up: direct run on loopback (a running stack) {direct_s:.2f} s; "
          f"`import harness.cli` {import_s:.2f} s")
    if options.timeline:
        largest = results[("default", rtts[-1])][-1]
        print(f"\ntimeline of one default run through +{rtts[-1] * 1000:g} ms "
              "(ms after its first request):")
        print("\n".join(timeline_lines(largest.timeline)))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
