"""The README's examples that run offline still print what it shows: the main job's output,
the total failure, the verdict lines, the request counts of `--plan`, `--max-requests 10`, the
one-line input errors, `history`, `init`'s request bound. A run's ports, times and latencies
are the only things that may differ."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.commands.init_discover import MAX_REQUESTS
from harness.stacks.reference import ReferenceStack

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
VARYING = ((re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
           (re.compile(r":\d{4,5}(?=[;)])"), ":PORT"),
           (re.compile(r"\[\d+ ms\]"), "[N ms]"),
           (re.compile(r"\bin \d+\.\d+ s\b"), "in N s"),
           (re.compile(r'"latencyMs": \d+'), '"latencyMs": N'))


def normalised(text: str) -> list[str]:
    for pattern, stand_in in VARYING:
        text = pattern.sub(stand_in, text)
    return text.rstrip("\n").split("\n")


def block_after(marker: str) -> str:
    """The first fenced block after `marker` in the README."""
    start = README.index("```", README.index(marker))
    body = README.index("\n", start) + 1
    return README[body:README.index("```", body)]


def readme_number(pattern: str) -> int:
    found = re.search(pattern.replace(" ", r"\s+"), README)
    assert found, pattern
    return int(found.group(1))


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "COLUMNS", "FORCE_COLOR", "PY_COLORS"))}
    return env | extra


def harness(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=120, env=environment(**env), cwd=ROOT)


def terminal_rows(args: list[str], columns: int) -> int:
    """The rows the run's output takes on a terminal `columns` wide (a real pty)."""
    master, slave = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=slave,
                               stderr=slave, cwd=ROOT,
                               env=environment(COLUMNS=str(columns), TERM="xterm"))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the pty closes with the process
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=120)
    os.close(master)
    text = ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")
    lines = [line.rsplit("\r", 1)[-1] for line in text.rstrip("\n").split("\n")]
    return sum(max(1, math.ceil(len(line) / columns)) for line in lines)


def test_the_main_job_prints_what_the_readme_shows() -> None:
    done = harness()
    assert done.returncode == 0, done.stderr
    assert normalised(done.stdout.strip("\n")) == normalised(
        block_after("prints, in about 2 s:").strip("\n"))


def test_the_total_failure_is_the_readmes() -> None:
    done = harness("--fault", "port-mismatch")
    assert done.returncode == 1, done.stderr
    shown = block_after("A total failure stays short")
    assert normalised(done.stdout) == normalised(shown)
    assert len(done.stdout.rstrip("\n").split("\n")) == readme_number(
        r"port-mismatch` .*? prints these (\d+) lines")
    rows = readme_number(r"at 80 columns, where the summary wraps, (\d+) rows")
    assert terminal_rows(["--fault", "port-mismatch"], 80) == rows


def test_the_verdict_line_without_credentials() -> None:
    quoted = re.search(r"`(PASS \(\d+ of \d+ checks passed; [^`]*?)`\s+\(a run without",
                       README, re.S)
    assert quoted
    with ReferenceStack() as stack:
        done = harness(stack.url)
    assert done.returncode == 0, done.stderr
    verdict = next(line for line in done.stdout.splitlines() if line.startswith("VERDICT: "))
    assert verdict.startswith("VERDICT: " + " ".join(quoted.group(1).split()) + " in ")


def planned(*args: str, **env: str) -> tuple[int, str]:
    done = harness(*args, "--plan", **env)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^plan against .*?: \d+ checks, (\d+) requests", done.stdout, re.M)
    assert found, done.stdout
    return int(found.group(1)), done.stdout


LOGIN = {"SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "pw"}
IDENTITIES = {**LOGIN, "SMOKE_PEER_USERNAME": "peer", "SMOKE_PEER_PASSWORD": "pw",
              "SMOKE_OUTSIDER_USERNAME": "out", "SMOKE_OUTSIDER_PASSWORD": "pw"}


@pytest.mark.parametrize(("args", "env", "pattern"), [
    (["http://127.0.0.1:9"], LOGIN, r"with a login the plan sends \*\*(\d+) requests\*\*"),
    (["http://127.0.0.1:9"], IDENTITIES, r"with a peer and an outsider \*\*(\d+)\*\*"),
    ([], {}, r"provides both and the signing secret, (\d+)\."),
    (["http://127.0.0.1:9", "--thorough"], LOGIN, r"\((\d+) requests with a login;"),
    (["--thorough"], {}, r"requests with a login; (\d+) against the embedded stack\)"),
], ids=["login", "peer-and-outsider", "embedded", "thorough-login", "thorough-embedded"])
def test_the_documented_request_counts(args: list[str], env: dict[str, str],
                                       pattern: str) -> None:
    assert planned(*args, **env)[0] == readme_number(pattern)


def test_max_requests_10_keeps_what_the_readme_lists() -> None:
    assert "with `--max-requests 10`:\nhealth, the login, 401 on each route, the handshake, " \
        "and one websocket upgrade that checks both\nrefusals and the authenticated connect" \
        in README
    count, text = planned("--max-requests", "10")
    assert count == 10
    for request in ("GET /api/health ", "POST /api/auth/login", "GET /socket.io/?EIO=4",
                    "Socket.IO session over websocket (1 request): upgrade, CONNECT no-token, "
                    "CONNECT forged-token, CONNECT with the token"):
        assert request in text, request
    no_token = [line for line in text.splitlines() if "test_auth.py" in line and
                "-no-token]" in line]
    assert no_token and not [line for line in no_token if "not tested" in line]


@pytest.mark.parametrize(("args", "env", "says"), [
    (["--targt-url", "http://x"], {}, "did you mean --target-url?"),
    (["http://127.0.0.1:9", "--fault", "port-mismatch"], {}, "--fault"),
    (["https://host.example/api"], {}, "--base-path"),
    ([], {"SMOKE_TARGET_URL": ""}, "SMOKE_TARGET_URL"),
    (["http://127.0.0.1:9"], {"SMOKE_TOKEN": ""}, "SMOKE_TOKEN"),
    (["--suite", "bogus"], {}, "rest"),
], ids=["mistyped-option", "fault-with-url", "url-with-path", "empty-target", "empty-token",
        "unknown-suite"])
def test_wrong_input_is_one_line_and_exit_2(args: list[str], env: dict[str, str],
                                            says: str) -> None:
    done = harness(*args, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and says in lines[0], done.stderr
    assert lines[1] == "VERDICT: ERROR (exit 2)"
    assert "Traceback" not in done.stdout + done.stderr


def test_history_lists_the_runs_this_machine_made(tmp_path: Path) -> None:
    state = str(tmp_path)
    assert harness(XDG_STATE_HOME=state).returncode == 0
    done = harness("history", XDG_STATE_HOME=state)
    assert done.returncode == 0, done.stderr
    assert re.search(r"PASS +\d+ requests +\d+\.\d+ s +messaging-platform +http://127\.0\.0\.1:"
                     r"\d+ \(embedded reference stack\)", done.stdout), done.stdout


def test_init_keeps_to_the_documented_bound() -> None:
    assert f"# at most {MAX_REQUESTS} requests, no credentials" in README


def test_nothing_points_at_documents_outside_the_repository() -> None:
    for folder in ("fixtures", "harness", "suites"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".md", ".j2", ".sh"):
                text = path.read_text(encoding="utf-8", errors="replace")
                assert "DESIGN.md" not in text and "PROTOCOL-NOTES" not in text, path
    assert "DESIGN.md" not in README
