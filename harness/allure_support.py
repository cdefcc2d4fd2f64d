"""Allure labels, redacted attachments and environment properties for each check."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.findings import Finding

SEVERITY = {"critical": "critical", "normal": "normal", "minor": "minor"}


def results_dir(config: pytest.Config) -> str | None:
    """allure-pytest's --alluredir, when that plugin is writing results in this run."""
    return getattr(config.option, "allure_report_dir", None) or None


def story_of(item: pytest.Item) -> str:
    """The route or event a check is about: its parameter id, else the test's name."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.id:
        return callspec.id
    return getattr(item, "originalname", item.name)


def label_check(item: pytest.Item, epic: str, suite: str, finding: Finding | None) -> None:
    """Label the running check; a failure also gets its cause as a tag and the exchange."""
    import allure

    allure.dynamic.epic(epic)
    allure.dynamic.feature(suite)
    allure.dynamic.story(story_of(item))
    allure.dynamic.severity(SEVERITY.get(finding.severity, "normal") if finding else "normal")
    if finding is None:
        return
    allure.dynamic.tag(finding.cause)
    allure.attach(finding.render(), name="diagnosis",
                  attachment_type=allure.attachment_type.TEXT)
    if finding.detail:
        allure.attach(finding.detail, name="request and response (redacted)",
                      attachment_type=allure.attachment_type.TEXT)


def write_environment(directory: str | Path, properties: Mapping[str, str]) -> None:
    """Allure's environment.properties (shown on the report's overview page)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={str(value).replace(chr(10), ' ')}" for key, value in properties.items()]
    (path / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
