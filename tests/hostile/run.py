"""One harness run against one hostile target, measured: `python -m tests.hostile.run MODE DIR`.

Starts the hostile target `MODE` in this process, runs `python -m harness <url>` as a child
with the target's credentials, JSON report, sign-off page and JUnit XML in DIR, and prints one
JSON line: exit code, wall time, the child's peak RSS (``getrusage(RUSAGE_CHILDREN)``: only the
harness and its own children, never this process's server), the tokens the target issued, the
requests that carried the URL's userinfo, and what the thief listener received.
`--userinfo U:P` gives the harness the target URL with `U:P@` in it; `--pytest` runs the
contract suites with pytest (`pytest suites --target-url URL`) instead of the CLI. Arguments
after `--` go to the CLI (or pytest) as they are.

A process per case keeps the peak-memory figure honest and lets a test run cases concurrently
without one target's traffic slowing another's event loop.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from harness.sanitize.redact import secret_forms
from tests.hostile import gateway
from tests.hostile.server import HostileServer, start
from tests.hostile.wire import Conn, Request

ROOT = Path(__file__).resolve().parents[2]
KILL_AFTER_S = 120.0


def _record_tokens(issued: list[str]) -> None:
    """Remember every token the target issues (they are secrets the outputs must not carry)."""
    original = gateway.issue_token

    def issue(username: str = gateway.USERNAME) -> str:
        token = original(username)
        issued.append(token)
        return token

    gateway.issue_token = issue


def _record_userinfo(userinfo: str, carried: list[str]) -> None:
    """Remember every request the target receives that carries the URL's userinfo, or its
    password, in any form (httpx would send it as `Basic base64(user:password)`)."""
    forms = {form for secret in (userinfo, userinfo.partition(":")[2])
             for form in secret_forms(secret)}
    original = HostileServer._answer

    async def answer(server: HostileServer, request: Request, conn: Conn) -> bool:
        raw = (request.raw_head + request.body).decode("utf-8", "replace")
        if any(form in raw for form in forms):
            carried.append(request.raw_head.split(b"\r\n", 1)[0].decode("latin-1"))
        return await original(server, request, conn)

    HostileServer._answer = answer  # type: ignore[method-assign]


def run(mode: str, out: Path, timeout_s: str, extra: list[str],
        userinfo: str = "", through_pytest: bool = False) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    issued: list[str] = []
    carried: list[str] = []
    _record_tokens(issued)
    if userinfo:
        _record_userinfo(userinfo, carried)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_"))}
    env.update(SMOKE_USERNAME=gateway.USERNAME, SMOKE_PASSWORD=gateway.PASSWORD,
               SMOKE_JWT_SECRET=gateway.JWT_SECRET, PYTHONIOENCODING="utf-8")
    with start(mode) as target:
        url = target.url.replace("://", f"://{userinfo}@", 1) if userinfo else target.url
        outputs = ["--report-json", str(out / "report.json"),
                   "--signoff-report", str(out / "signoff.html"),
                   "--junitxml", str(out / "junit.xml")]
        if through_pytest:  # the contract suites, from the repository (its conftest.py)
            command = [sys.executable, "-m", "pytest", str(ROOT / "suites"), "--target-url", url,
                       "--smoke-timeout", timeout_s, *outputs, *extra]
        else:
            command = [sys.executable, "-m", "harness", url, "--timeout", timeout_s, *outputs,
                       *extra]
        started = time.perf_counter()
        killed = False
        with open(out / "stdout.txt", "wb") as stdout, open(out / "stderr.txt", "wb") as stderr:
            child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env,
                                     cwd=ROOT if through_pytest else out)
            try:
                code = child.wait(KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                child.kill()
                code, killed = child.wait(), True
        seconds = time.perf_counter() - started
        stolen = [base64.b64encode(s.raw).decode("ascii") for s in target.stolen]
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"mode": mode, "code": code, "killed": killed, "seconds": round(seconds, 2),
            "peak_mb": round(peak_kb / 1024, 1), "issued_tokens": issued,
            "userinfo_sent": carried, "stolen": stolen}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode")
    parser.add_argument("out", type=Path, help="directory for the run's outputs")
    parser.add_argument("--timeout", default="2", help="the harness's --timeout (default 2)")
    parser.add_argument("--userinfo", default="", metavar="USER:PASSWORD",
                        help="put this userinfo into the target URL the harness is given")
    parser.add_argument("--pytest", action="store_true",
                        help="run `pytest suites --target-url URL` instead of the CLI")
    options = parser.parse_args(argv)
    result = run(options.mode, options.out, options.timeout, extra, options.userinfo,
                 options.pytest)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
