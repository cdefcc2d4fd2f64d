"""The release sign-off page: one self-contained HTML (or Markdown) file a person can archive."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import __version__
from harness.causes import CAUSES
from harness.report import CheckRecord, RunReport
from harness.sanitize.redact import Redactor
from harness.summary import SEVERITY_ORDER

OUTCOME_ORDER = {"failed": 0, "error": 1, "skipped": 2, "passed": 3}


@dataclass(frozen=True)
class SignoffContext:
    report: RunReport
    records: Sequence[CheckRecord]
    contract: str
    target_version: str | None


def _check_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def _split_message(message: str) -> tuple[str, str]:
    text, _, evidence = message.partition(" | ")
    return text, evidence


def _findings(records: Sequence[CheckRecord]) -> list[tuple[str, list[CheckRecord]]]:
    grouped: dict[str, list[CheckRecord]] = defaultdict(list)
    for record in records:
        if record.outcome in ("failed", "error"):
            grouped[record.cause or "unclassified"].append(record)

    def rank(code: str) -> tuple[int, str]:
        severity = CAUSES[code].severity if code in CAUSES else "critical"
        return SEVERITY_ORDER.get(severity, 0), code

    return [(code, grouped[code]) for code in sorted(grouped, key=rank)]


def _by_suite(records: Sequence[CheckRecord]) -> dict[str, list[CheckRecord]]:
    suites: dict[str, list[CheckRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (OUTCOME_ORDER.get(r.outcome, 9), r.id)):
        suites[record.suite].append(record)
    return dict(sorted(suites.items()))


def _meta(ctx: SignoffContext) -> list[tuple[str, str]]:
    report, counts = ctx.report, Counter(r.outcome for r in ctx.records)
    meta = [
        ("Target", report.target), ("Version", ctx.target_version or "not reported"),
        ("Started", report.started_at), ("Duration", f"{report.duration_s:.2f} s"),
        ("Contract", ctx.contract),
        ("Checks", ", ".join(f"{counts[o]} {o}" for o in OUTCOME_ORDER if counts[o]) or "none"),
        ("HTTP requests", str(report.requests_sent)),
    ]
    if report.error:
        meta.append(("Error", report.error))
    return meta


CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;
margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:28px 32px 40px;background:#fff;min-height:100vh}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;
border-bottom:1px solid #d0d7de;padding-bottom:6px}
.sub{color:#59636e;margin:0 0 18px}
.verdict{display:inline-block;font-weight:700;font-size:15px;padding:6px 16px;border-radius:6px;
color:#fff;letter-spacing:.04em}
.pass{background:#1a7f37}.fail{background:#cf222e}.error{background:#bc4c00}
dl.meta{display:grid;grid-template-columns:140px 1fr;gap:4px 16px;margin:18px 0}
dl.meta dt{color:#59636e}dl.meta dd{margin:0;font-family:ui-monospace,Menlo,monospace;
font-size:13px;word-break:break-all}
.finding{border:1px solid #d0d7de;border-left:4px solid #cf222e;border-radius:6px;
padding:10px 14px;margin:10px 0}
.finding.normal{border-left-color:#bf8700}.finding.minor{border-left-color:#8c959f}
.finding h3{margin:0 0 4px;font-size:15px}.finding .what{color:#59636e;margin:0 0 6px}
.finding ul{margin:6px 0;padding-left:18px}.finding li{margin:4px 0}
.ev{font-family:ui-monospace,Menlo,monospace;font-size:12px;color:#424a53;display:block;
word-break:break-all}
.next{margin:6px 0 0;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:8px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.id{font-family:ui-monospace,Menlo,monospace;
font-size:12px;word-break:break-all;width:38%}td.o,td.c{white-space:nowrap}
.o{font-weight:600}.o.passed{color:#1a7f37}.o.failed,.o.error{color:#cf222e}
.o.skipped{color:#8c959f}code{font-size:12px}
footer{margin-top:30px;color:#8c959f;font-size:12px}
"""


def render_html(ctx: SignoffContext) -> str:
    e = html.escape
    verdict = ctx.report.verdict
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Smoke sign-off: {e(verdict.upper())} - {e(ctx.report.target)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>Release sign-off: contract smoke run</h1>",
        f"<p class=sub>{e(ctx.contract)} &middot; {e(ctx.report.started_at)}</p>",
        f"<span class='verdict {e(verdict)}'>{e(verdict.upper())}</span>",
        "<dl class=meta>",
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _meta(ctx)),
        "</dl>",
    ]
    findings = _findings(ctx.records)
    parts.append(f"<h2>Findings ({sum(len(r) for _, r in findings)})</h2>")
    if not findings:
        parts.append("<p>No contract failed.</p>")
    for code, records in findings:
        cause = CAUSES.get(code)
        severity = cause.severity if cause else "critical"
        parts.append(f"<div class='finding {e(severity)}'><h3><code>{e(code)}</code> "
                     f"&times; {len(records)}</h3>")
        if cause:
            parts.append(f"<p class=what>{e(cause.summary)}</p>")
        parts.append("<ul>")
        for record in records:
            text, evidence = _split_message(record.message)
            parts.append(f"<li><b>{e(_check_name(record.id))}</b><br>{e(text)}"
                         + (f"<span class=ev>{e(evidence)}</span>" if evidence else "")
                         + "</li>")
        parts.append("</ul>")
        if cause:
            parts.append(f"<p class=next>Next step: {e(cause.next_step)}</p>")
        parts.append("</div>")
    parts.append("<h2>Every check</h2>")
    for suite, records in _by_suite(ctx.records).items():
        counts = Counter(r.outcome for r in records)
        summary = ", ".join(f"{counts[o]} {o}" for o in OUTCOME_ORDER if counts[o])
        parts.append(f"<h3>{e(suite)} <small>({e(summary)})</small></h3>")
        parts.append("<table><tr><th>Check</th><th>Outcome</th><th>Cause</th>"
                     "<th>Message</th></tr>")
        for record in records:
            text, _ = _split_message(record.message)
            parts.append(
                f"<tr><td class=id>{e(_check_name(record.id))}</td>"
                f"<td class='o {e(record.outcome)}'>{e(record.outcome)}</td>"
                f"<td class=c>{'<code>' + e(record.cause) + '</code>' if record.cause else ''}</td>"
                f"<td>{e(text)}</td></tr>")
        parts.append("</table>")
    parts.append(f"<footer>smoke-harness {e(__version__)} &middot; secrets are masked as ***"
                 "</footer></main></body></html>")
    return "\n".join(parts)


def render_markdown(ctx: SignoffContext) -> str:
    lines = ["# Release sign-off: contract smoke run", "",
             f"**Verdict: {ctx.report.verdict.upper()}**", ""]
    lines += [f"- **{k}:** {v}" for k, v in _meta(ctx)]
    findings = _findings(ctx.records)
    lines += ["", f"## Findings ({sum(len(r) for _, r in findings)})", ""]
    if not findings:
        lines.append("No contract failed.")
    for code, records in findings:
        cause = CAUSES.get(code)
        lines.append(f"### `{code}` x {len(records)}" + (f": {cause.summary}" if cause else ""))
        for record in records:
            text, evidence = _split_message(record.message)
            lines.append(f"- **{_check_name(record.id)}**: {text}"
                         + (f"  \n  `{evidence}`" if evidence else ""))
        if cause:
            lines.append(f"\nNext step: {cause.next_step}\n")
    lines += ["", "## Every check"]
    for suite, records in _by_suite(ctx.records).items():
        lines += ["", f"### {suite}", "", "| Check | Outcome | Cause | Message |",
                  "| --- | --- | --- | --- |"]
        for record in records:
            text = _split_message(record.message)[0].replace("|", "\\|")
            lines.append(f"| `{_check_name(record.id)}` | {record.outcome} | "
                         f"{record.cause or ''} | {text} |")
    return "\n".join(lines) + "\n"


def write_signoff(path: str | Path, ctx: SignoffContext, redactor: Redactor) -> None:
    """HTML unless the file name ends in .md; everything passes through the redactor."""
    path = Path(path)
    render = render_markdown if path.suffix.lower() in (".md", ".markdown") else render_html
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(redactor.text(render(ctx)), encoding="utf-8")
