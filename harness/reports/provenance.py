"""How a run was made, as a person writes it: the command line, the contract path as given,
and, for a stack the run started and stopped, how to bring that stack back."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness._bundled import DEFAULT_CONTRACT
from harness.config import RunConfig
from harness.config.options import OPTIONS

POSITIONAL = ("target_url", "url")  # one URL: the positional and --target-url are the same
CLI_FLAGS = {"verbose": "-v", "junitxml": "--junitxml", "alluredir": "--alluredir"}  # not OPTIONS
BUNDLED = "fixtures/contract.default.yaml"


def _flag(dest: str) -> str | None:
    option = next((option for option in OPTIONS if option.dest == dest), None)
    if option is None:
        return CLI_FLAGS.get(dest)
    return option.flags[-1]  # the CLI's spelling is last


def _values(value: Any) -> Iterable[str]:
    """One command-line value per repetition; a list of lists (`--suite a,b`) joined by ','."""
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        yield ",".join(map(str, item)) if isinstance(item, (list, tuple)) else str(item)


def command_line(options: Mapping[str, Any], program: str = "python -m harness") -> str:
    """The options as typed, a command that makes the same run again:
    `python -m harness URL --fault a --fault b --read-only -v`."""
    words = program.split()
    url = next((options[dest] for dest in POSITIONAL if options.get(dest)), None)
    if url:
        words.append(str(url))
    for dest, value in options.items():
        flag = _flag(dest)
        if dest in POSITIONAL or flag is None or value in (None, False, [], ""):
            continue
        if value is True:
            words.append(flag)
            continue
        for item in _values(value):
            words += [flag, item]
    return " ".join(words[:3] + [shlex.quote(word) for word in words[3:]])


def contract_file(config: RunConfig) -> str:
    """The contract path as it was given (relative stays relative); the bundled one by its
    place in the repository."""
    if Path(config.contract_path).resolve() == Path(DEFAULT_CONTRACT).resolve():
        return f"{BUNDLED} (bundled)"
    return str(config.contract_path)


def stack_document(config: RunConfig, target: str) -> dict[str, Any] | None:
    """For a stack the run started (and stopped with it): its kind, faults, and the commands
    that bring it back (`bring_back`, on the same port for the embedded stack so the
    reproduce commands work again) and that rerun the whole check (`rerun`)."""
    if config.stack not in ("embedded", "hermetic"):
        return None
    faults = [word for fault in config.faults for word in ("--fault", shlex.quote(fault))]
    rerun = " ".join(["python -m harness", *(["--hermetic"] if config.stack == "hermetic"
                                             else []), *faults])
    if config.stack == "embedded":
        port = urlsplit(target.split()[0]).port if target else None
        bring_back = " ".join(["python -m harness.stacks.reference",
                               *([f"--port {port}"] if port else []), *faults])
        note = "the embedded stack stopped with the run: bring it back on the same port first"
        login = ("set REFERENCE_PASSWORD before bringing it back to log in as smoke-user "
                 "(for $SMOKE_TOKEN)")
    else:
        bring_back = " ".join(["python -m harness.stacks --hermetic", *faults, "--hold 3600"])
        note = ("the hermetic containers were removed after the run: bring them back first "
                "(it prints the new URL: use it in the command)")
        login = ("its credentials are made per start and never printed: for a command that "
                 "needs $SMOKE_TOKEN, rerun the check")
    return {"kind": config.stack, "faults": list(config.faults), "gone": note,
            "bring_back": bring_back, "login": login, "rerun": rerun}
