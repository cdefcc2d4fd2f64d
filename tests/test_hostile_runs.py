"""Issue 16's acceptance: the real CLI against every hostile target, checked from the outside.

Each case runs `python -m harness <hostile url> --timeout 2` with the target's credentials, a
JSON report, a sign-off page and JUnit XML, inside `python -m tests.hostile.run` (a process per
case: the target and the harness's peak RSS stay apart). Each case asserts: the exit code and
that every cause named is acceptable for the mode (`tests.hostile.expectations.EXPECTED`); no
secret (password, issued token, JWT secret) in any output in any form; no raw control character
in any output; the thief listener received nothing; peak memory under 300 MB; bounded wall time.
The same for three modes with `-- -n 2` (the CLI takes it and runs in one process), for those
three through pytest-xdist itself (`pytest suites --target-url URL -n 2`), and for the echo mode
given a target URL with `user:password@` in it (stripped, never sent as Basic auth).

Cases run concurrently (`HOSTILE_WORKERS`, default 3): when a case is asked for, it and the next
few not yet started are submitted, so a serial session keeps the pool full and an xdist worker
starts little it will not use. Outputs stay in pytest's tmp directory (`result.json` per case).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from harness.sanitize.escape import escape_control
from harness.sanitize.redact import secret_forms
from tests.hostile.expectations import EXPECTED
from tests.hostile.gateway import JWT_SECRET, PASSWORD
from tests.hostile.server import MODES

ROOT = Path(__file__).resolve().parents[1]
XDIST_MODES = ("hang", "echo", "terminal-injection")
USERINFO = "admin:userinfo-Pa55-7f3e"
CASES = [(mode, "") for mode in MODES] + [(mode, "n2") for mode in XDIST_MODES] + \
    [(mode, "pytest-n2") for mode in XDIST_MODES] + [("echo", "userinfo")]
# Cases whose fix lies outside the probes, the leak rule and sanitising (strict: they flip).
WORKERS = int(os.environ.get("HOSTILE_WORKERS", "3"))
PEAK_MB = 300
WALL_S = 60
CASE_WAIT_S = 600
OUTPUTS = ("stdout.txt", "stderr.txt", "report.json", "junit.xml", "signoff.html")
_ABORTED = re.compile(r"\[([a-z0-9-]+)\] ")
_JWT_SHAPE = re.compile(r"eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{10,}")


def _case_id(case: tuple[str, str]) -> str:
    mode, variant = case
    return f"{mode}-{variant}" if variant else mode


class Runs:
    """Hostile cases run by a thread pool, each in its own `tests.hostile.run` process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hostile")
        self.futures: dict[tuple[str, str], Future[dict[str, Any]]] = {}

    def result(self, case: tuple[str, str]) -> dict[str, Any]:
        at = CASES.index(case)
        for ahead in CASES[at:at + WORKERS]:
            if ahead not in self.futures:
                self.futures[ahead] = self.pool.submit(self._run, ahead)
        return self.futures[case].result(CASE_WAIT_S)

    def _run(self, case: tuple[str, str]) -> dict[str, Any]:
        mode, variant = case
        out = self.root / _case_id(case)
        command = [sys.executable, "-m", "tests.hostile.run", mode, str(out), "--timeout", "2"]
        if variant == "userinfo":
            command += ["--userinfo", USERINFO]
        if variant == "pytest-n2":
            command += ["--pytest", "--", "-n", "2"]
        if variant == "n2":
            command += ["--", "--", "-n", "2"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=CASE_WAIT_S)
        assert proc.returncode == 0, f"runner failed:\n{proc.stdout}\n{proc.stderr}"
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["dir"] = str(out)
        (out / "result.json").write_text(json.dumps(result, indent=1))
        return result

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    pool = Runs(tmp_path_factory.mktemp("hostile"))
    yield pool
    pool.close()


def _strings(document: Any) -> Iterator[str]:
    """Every string (keys too) in a JSON document."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from _strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _strings(value)


def _views(name: str, text: str) -> dict[str, str]:
    """The file as written and as a reader decodes it (entities, JSON escapes)."""
    views = {name: text}
    if name.endswith((".html", ".xml")):
        views[f"{name} (entities decoded)"] = html.unescape(text)
    if name.endswith(".json"):
        views[f"{name} (strings decoded)"] = "\n".join(_strings(json.loads(text)))
    return views


def _raw_controls(text: str) -> list[str]:
    """Characters `escape_control` would escape, other than newline and tab."""
    found = {ch for ch in text if ch not in "\n\t" and escape_control(ch) != ch}
    return sorted(repr(ch) for ch in found)


def _named_causes(report: dict[str, Any]) -> tuple[set[str | None], list[str]]:
    """Root causes, failed checks' causes, and the cause of a run ended before the suites
    (written only as `[code] message` in the report's `error`)."""
    causes: set[str | None] = {root["cause"] for root in report.get("root_causes", [])}
    aborted = _ABORTED.match(report.get("error") or "")
    if aborted:
        causes.add(aborted.group(1))
    failed = []
    for check in report.get("checks", []):
        if check["outcome"] in ("failed", "error"):
            causes.add(check["cause"])
            failed.append(f"{check['id']}: {check['cause']}: {check['message'][:200]}")
    return causes, failed


def _param(case: tuple[str, str]) -> Any:
    return pytest.param(case, id=_case_id(case))


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_target(runs: Runs, case: tuple[str, str]) -> None:
    mode, variant = case
    result = runs.result(case)
    out = Path(result["dir"])
    expected_code, acceptable = EXPECTED[mode]
    stdout = (out / "stdout.txt").read_text("utf-8", "replace")
    measured = {key: result[key] for key in ("code", "seconds", "peak_mb")}
    summary = f"{_case_id(case)}: {json.dumps(measured)}"
    tail = f"{summary}\n--- stdout (tail) ---\n{stdout[-4000:]}\n--- stderr (tail) ---\n" \
           f"{(out / 'stderr.txt').read_text('utf-8', 'replace')[-3000:]}"

    # Bounded: the run ended by itself, in time, in bounded memory.
    assert not result["killed"], f"the harness had to be killed\n{tail}"
    assert result["seconds"] < WALL_S, tail
    assert result["peak_mb"] < PEAK_MB, tail

    # The verdict and its causes.
    report_path = out / "report.json"
    assert report_path.exists(), f"no JSON report\n{tail}"
    assert (out / "signoff.html").exists(), f"no sign-off page\n{tail}"
    assert (out / "junit.xml").exists(), f"no JUnit XML\n{tail}"
    report = json.loads(report_path.read_text("utf-8"))
    causes, failed = _named_causes(report)
    listing = "\n".join(failed)
    assert result["code"] == expected_code, f"{listing}\n{tail}"
    assert causes <= acceptable, \
        f"causes {sorted(map(str, causes))} not all in {sorted(acceptable)}\n{listing}\n{tail}"
    if expected_code != 0:
        assert causes, f"exit {expected_code} but no cause named\n{tail}"
    junit = ElementTree.parse(out / "junit.xml")
    red: dict[str | None, list[str | None]] = {}
    for case in junit.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            red.setdefault(case.get("classname"), []).append(case.get("name"))
    run_red = red.pop("smoke-harness", [])
    junit_failed = sum(map(len, red.values()))
    assert junit_failed == len(failed), \
        f"JUnit has {junit_failed} failing test cases, the report {len(failed)} failed checks"
    assert run_red == (["run"] if report["verdict"] in ("error", "inconclusive") else []), \
        f"smoke-harness::run must be red exactly when the run is {report['verdict']}"

    # Nothing secret and nothing raw, in any output.
    secrets = {"password": PASSWORD, "JWT secret": JWT_SECRET}
    if variant == "userinfo":
        secrets.update({"URL userinfo": USERINFO,
                        "URL password": USERINFO.partition(":")[2]})
    secrets.update({f"issued token {i}": token
                    for i, token in enumerate(result["issued_tokens"])})
    forms = {label: secret_forms(secret) for label, secret in secrets.items()}
    for name in OUTPUTS:
        path = out / name
        if not path.exists():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for view, content in _views(name, text).items():
            for label, variants in forms.items():
                leaked = sorted(form for form in variants if form in content)
                assert not leaked, f"{label} in {view} as {leaked[:3]}"
            jwts = _JWT_SHAPE.findall(content)
            assert not jwts, f"a JWT in {view}: {jwts[0][:24]}..."
            controls = _raw_controls(content)
            assert not controls, f"raw control characters {controls} in {view}"

    # No line the target forged: the real verdict is the only one that starts a line.
    verdicts = [line for line in stdout.splitlines() if line.lstrip().startswith("VERDICT")]
    assert len(verdicts) == 1, f"{len(verdicts)} VERDICT lines in stdout: {verdicts}"

    # A URL's userinfo is never sent (httpx would make it Basic auth for every request).
    assert not result["userinfo_sent"], f"userinfo sent with {result['userinfo_sent'][:3]}"

    # Credentials never left the target's origin: the thief heard nothing.
    assert result["stolen"] == [], f"the thief received {len(result['stolen'])} request(s)"
