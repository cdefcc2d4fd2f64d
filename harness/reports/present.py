"""Presenting a finished run: the JSON report, the sign-off page, CI outputs, the summary."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from harness.config import RunConfig
from harness.judge.result import RunResult
from harness.judge.verdict import EXIT_CODES
from harness.reports.allure import AllureOutput, write_allure
from harness.reports.document import build_document, write_json
from harness.reports.github import write_github_outputs
from harness.reports.history import baseline_of, record_history
from harness.reports.signoff import write_signoff
from harness.reports.terminal import render, terminal_width, use_colour

WRITE_FAILED = 2  # a report the run was asked for is missing: not a verdict CI can use


def write_reports(config: RunConfig, doc: dict[str, Any], stream: TextIO | None = None,
                  allure: AllureOutput | None = None) -> list[str]:
    """The JSON report, the sign-off page, Allure's results and the CI outputs the
    configuration asks for; what could not be written, one line each (the others are still
    written)."""
    failed: list[str] = []

    def attempt(what: str, write: Callable[[], object]) -> None:
        try:
            write()
        except OSError as exc:
            failed.append(f"cannot write {what}: {exc.strerror or exc}")

    if allure is not None:
        def allure_results() -> None:
            for note in write_allure(allure, doc):
                print(f"smoke-harness: {note}", file=sys.stderr)
        attempt(f"--alluredir {allure.directory}", allure_results)
    if config.report_json:
        attempt(f"--report-json {config.report_json}",
                lambda: write_json(config.report_json, doc))
    if config.signoff_report:
        attempt(f"--signoff-report {config.signoff_report}",
                lambda: write_signoff(config.signoff_report, doc, baseline_of(config)))
    attempt("the GitHub Actions outputs", lambda: write_github_outputs(doc, os.environ,
                                                                        stream=stream))
    record_history(config, doc, lambda line: print(f"smoke-harness: {line}", file=sys.stderr))
    return failed


def present(result: RunResult, stream: TextIO | None = None, *, verbose: bool = False,
            document: dict[str, Any] | None = None) -> int:
    """Write every report the config asks for, print the summary; the verdict's exit code,
    or 2 when a report could not be written (said after the summary, one line each)."""
    stream = stream or sys.stdout
    doc = document or build_document(result)
    failed = write_reports(result.config, doc, stream)
    print(render(doc, verbose=verbose, colour=use_colour(stream),
                 width=terminal_width(stream)), file=stream, flush=True)
    for line in failed:
        print(f"smoke-harness: error: {line}", file=sys.stderr, flush=True)
    return WRITE_FAILED if failed else EXIT_CODES[doc["verdict"]]
