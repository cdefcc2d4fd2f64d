"""Allure labels, one step per probe with the redacted exchange, environment properties."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

SEVERITY = {"security": "blocker", "availability": "critical", "correctness": "normal",
            "drift": "minor"}


def label_case(case: Any) -> None:
    """Label the running check; a failure gets its cause as a tag and its exchange attached."""
    import allure

    from harness.judge.causes import Cause

    allure.dynamic.epic(case.contract)
    allure.dynamic.feature(case.suite)
    allure.dynamic.story(case.id)
    cause = Cause.from_code(case.cause) if case.cause else None
    allure.dynamic.severity(SEVERITY[cause.severity] if cause else "normal")
    if cause is not None:
        allure.dynamic.tag(cause.code)
    title = f"{case.outcome}{f' in {case.latency_ms} ms' if case.latency_ms is not None else ''}"
    with allure.step(f"probe: {title}"):
        if case.rendered:
            allure.attach(case.rendered, name="diagnosis",
                          attachment_type=allure.attachment_type.TEXT)
        if case.detail:
            allure.attach(case.detail, name="request and response (redacted)",
                          attachment_type=allure.attachment_type.TEXT)


def write_environment(directory: str | Path, properties: Mapping[str, str]) -> None:
    """Allure's environment.properties (shown on the report's overview page)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={str(value).replace(chr(10), ' ')}" for key, value in properties.items()]
    (path / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
