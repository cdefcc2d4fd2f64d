"""The run's output paths and its baseline, checked before anything starts or is sent."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.config import ConfigError, RunConfig
from harness.reports.baseline import load_baseline


def unwritable(path: str, directory: bool = False) -> str | None:
    """Why `path` cannot be written (None when it can): a missing folder is fine, it is made."""
    target = Path(path)
    if target.exists() and target.is_dir() != directory:
        return f"{path} is {'a file' if directory else 'a directory'}"
    parent = target if directory else target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    if target.exists() and not os.access(target, os.W_OK):
        return f"{path} is not writable"
    return _cannot_create_in(parent)


def _cannot_create_in(folder: Path) -> str | None:
    """Whether a file can be made in `folder`, tried (permissions alone do not tell: root,
    read-only mounts, /proc): a temporary file, removed at once."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return f"no file can be made in {folder} ({exc.strerror or exc})"


def check_outputs(config: RunConfig, options: dict[str, Any] | None = None) -> None:
    """Every output path writable and the baseline a JSON report; ConfigError (one line)
    otherwise. `options` may add pytest's outputs (`junitxml` file, `alluredir` folder)."""
    options = options or {}
    paths: Iterable[tuple[str, str | None, bool]] = (
        ("--report-json", config.report_json, False),
        ("--signoff-report", config.signoff_report, False),
        ("--junitxml", options.get("junitxml"), False),
        ("--alluredir", options.get("alluredir"), True))
    for flag, path, directory in paths:
        why = unwritable(str(path), directory) if path else None
        if why:
            raise ConfigError(f"{flag} {path}: cannot write there: {why}")
    if config.allure_history:
        if not options.get("alluredir"):
            raise ConfigError(f"--allure-history {config.allure_history}: it carries Allure's "
                              "history into --alluredir DIR: give --alluredir too")
        if Path(config.allure_history).is_file():
            raise ConfigError(f"--allure-history {config.allure_history}: a file; give the "
                              "folder `allure generate` wrote (or its history/ folder)")
    if config.baseline == "last":
        if not config.keep_history:
            raise ConfigError("--baseline last reads the run history: drop --no-history")
    elif config.baseline:
        try:
            load_baseline(config.baseline)
        except ValueError as exc:
            raise ConfigError(f"--{exc}") from None  # "--baseline PATH: why"
