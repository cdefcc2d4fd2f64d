"""The README documents what a user sees: every option and every cause code."""

from __future__ import annotations

from pathlib import Path

from harness.config.options import OPTIONS
from harness.judge.causes import Cause

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_option_is_documented() -> None:
    for option in OPTIONS:
        assert f"`{option.flags[-1]}" in README, option.flags


def test_every_cause_code_is_in_the_table() -> None:
    for cause in Cause:
        assert f"| `{cause.code}` |" in README, cause.code


def test_readme_starts_with_the_two_commands() -> None:
    head = README.split("## ", 1)[0]
    assert "python -m pip install -e . && python -m harness" in head
    assert 'python -m pip install -e ".[test]" && pytest' in head
