"""Presenting a finished run: the JSON report, the sign-off page, CI outputs, the summary."""

from __future__ import annotations

import os
import sys
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


def write_reports(config: RunConfig, doc: dict[str, Any], stream: TextIO | None = None,
                  allure: AllureOutput | None = None) -> None:
    """The JSON report, the sign-off page, Allure's results and the CI outputs the
    configuration asks for."""
    if allure is not None:
        for note in write_allure(allure, doc):
            print(f"smoke-harness: {note}", file=sys.stderr)
    if config.report_json:
        write_json(config.report_json, doc)
    if config.signoff_report:
        write_signoff(config.signoff_report, doc, baseline_of(config))
    write_github_outputs(doc, os.environ, stream=stream)
    record_history(config, doc, lambda line: print(f"smoke-harness: {line}", file=sys.stderr))


def present(result: RunResult, stream: TextIO | None = None, *, verbose: bool = False,
            document: dict[str, Any] | None = None) -> int:
    """Write every report the config asks for, print the summary; the verdict's exit code."""
    stream = stream or sys.stdout
    doc = document or build_document(result)
    write_reports(result.config, doc, stream)
    print(render(doc, verbose=verbose, colour=use_colour(stream),
                 width=terminal_width(stream)), file=stream, flush=True)
    return EXIT_CODES[doc["verdict"]]
