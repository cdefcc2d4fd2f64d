"""The release sign-off page, rendered from the JSON report document (HTML, or Markdown for *.md).

The page reads the document only: root causes first, then what was not tested, known issues,
changes since a previous sign-off, how the run was made, a latency chart, every check, and a
block where a release manager records the approval. HTML is self-contained (inline CSS, no
script, nothing fetched) and autoescaped; Markdown output escapes every interpolated value.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from harness.reports.terminal import severity_counts, severity_line

if TYPE_CHECKING:
    from jinja2 import Environment

from harness.reports.baseline import BaselineDiff, compare
from harness.reports.latency_svg import check_label, is_slow, latency_chart, timed_checks

TEMPLATES = Path(__file__).parent / "templates"
OUTCOME_ORDER = ("failed", "error", "blocked", "known-issue", "not-tested", "skipped", "passed")
VERDICT_TEXT = {
    "pass": "Every check the run meant to make ran and passed.",
    "fail": "A contract failed. The root causes below come first, most important first.",
    "inconclusive": "Some checks could not run for a reason outside the contract. "
                    "This is not a pass.",
    "error": "The run could not check the target.",
}
NO_CAUSE_TEXT = {
    "pass": "None: no contract failed.",
    "inconclusive": "None: no contract failed, but not everything was tested (below).",
    "error": "None found: the error above stopped the run before the contracts were checked.",
}
CREDENTIALS_TEXT = {
    "token": "a bearer token (SMOKE_TOKEN; its value is never written)",
    "login": "a login through the contract's login route (the password is never written)",
    "none": "none: checks that need a token were not tested",
}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[-+](?=\s)|\d+[.)](?=\s|$))")


class MdSafe(str):
    """Markdown that is already escaped (the Markdown environment passes it through)."""


def md_text(value: object) -> str:
    """`value` as one line of inert Markdown text (nothing in it becomes markup or HTML)."""
    if isinstance(value, MdSafe):
        return value
    text = re.sub(r"\s+", " ", str("" if value is None else value))
    return _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))


def md_code(value: object, in_table: bool = False) -> MdSafe:
    """`value` as a Markdown code span; `in_table` also escapes the cell separator."""
    text = " ".join(str(value).split())
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MdSafe(f"{fence}{pad}{text}{pad}{fence}")


def safe_url(url: object) -> str | None:
    """An http(s) URL worth linking to, or None (no javascript:, no relative paths)."""
    text = str(url or "").strip()
    return text if re.match(r"https?://[^\s<>\"]+$", text) else None


def md_link(text: object, url: object) -> MdSafe:
    href = safe_url(url)
    label = md_text(text)
    return MdSafe(f"[{label}](<{href}>)" if href else label)


def _when(stamp: object) -> str:
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp or "unknown")
    offset = moment.utcoffset()
    zone = "UTC" if offset is not None and not offset else moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}".strip()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counts_line(doc: dict) -> str:
    """E.g. '52 of 68 checks passed; 16 not tested: no credentials'."""
    checks = doc.get("checks") or []
    if not checks:
        return "no check ran"
    counts = Counter(check.get("outcome") for check in checks)
    parts = [f"{counts['passed']} of {_plural(len(checks), 'check')} passed"]
    parts += [f"{counts[o]} {o}" for o in OUTCOME_ORDER
              if counts[o] and o not in ("passed", "not-tested")]
    reasons = Counter(item.get("reason", "no reason given") for item in doc.get("not_tested") or [])
    untested = sum(reasons.values()) or counts["not-tested"]
    if len(reasons) == 1:
        parts.append(f"{untested} not tested: {next(iter(reasons))}")
    elif reasons:
        parts.append(f"{untested} not tested ("
                     + ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()) + ")")
    elif untested:
        parts.append(f"{untested} not tested")
    return "; ".join(parts)


def _facts(doc: dict) -> list[tuple[str, str]]:
    run = doc.get("run") or {}
    by_suite = doc.get("requests_by_suite") or {}
    requests = str(doc.get("requests_sent", "unknown"))
    if by_suite:
        requests += " (" + ", ".join(f"{suite} {n}" for suite, n in by_suite.items()) + ")"
    facts = [("Target", str(doc.get("target", "unknown")))]
    if run.get("target_version"):
        facts.append(("Target version", str(run["target_version"])))
    facts += [("Started", _when(doc.get("started_at"))),
              ("Duration", f"{float(doc.get('duration_s') or 0):.1f} s"),
              ("Requests sent", requests)]
    limit = doc.get("rate_limit")
    if limit:
        text = (f"{limit.get('remaining_before', '?')} of {limit.get('limit', '?')} left before "
                f"the run, {limit.get('remaining_after', '?')} after")
        if limit.get("reset_s") is not None:
            text += f"; the window resets in {limit['reset_s']} s"
        facts.append(("Rate-limit budget", text))
    if run.get("harness_version"):
        facts.append(("Harness version", str(run["harness_version"])))
    return facts


def _how_run(doc: dict) -> list[tuple[str, str, str | None]]:
    """(label, text, link) rows of the "How this run was made" section."""
    run = doc.get("run") or {}
    rows: list[tuple[str, str, str | None]] = []
    if run.get("contract"):
        rows.append(("Contract", str(run["contract"]), None))
    if run.get("contract_file"):
        rows.append(("Contract file", str(run["contract_file"]), None))
    if run.get("contract_sha256"):
        rows.append(("Contract SHA-256", str(run["contract_sha256"]), None))
    credentials = run.get("credentials")
    if credentials:
        rows.append(("Credentials", CREDENTIALS_TEXT.get(credentials, str(credentials)), None))
    rows.append(("Command", str(run.get("command") or "python -m harness"), None))
    ci = run.get("ci")
    if ci:
        label = " ".join(str(ci[k]) for k in ("provider", "job", "run") if ci.get(k))
        rows.append(("CI job", label or "yes", safe_url(ci.get("url"))))
    else:
        rows.append(("CI job", "none (run outside CI)", None))
    return rows


def root_causes(doc: dict) -> list[dict]:
    """The root causes in the judge's order, each with its severity, blocked checks and the
    reproduce command of its first check that has one."""
    checks = doc.get("checks") or []
    by_id = {c.get("id"): c for c in checks}
    causes = []
    for rank, item in enumerate(doc.get("root_causes") or [], start=1):
        own = item.get("checks") or []
        blocked = [c["id"] for c in checks if c.get("blocked_by") in set(own)]
        reproduce = next((by_id[cid]["reproduce"] for cid in own
                          if by_id.get(cid, {}).get("reproduce")), "")
        causes.append({**item, "position": rank, "checks": own,
                       "severity": str(item.get("severity") or "correctness"),
                       "blocked": int(item.get("blocked") or len(blocked)),
                       "blocked_checks": blocked, "reproduce": reproduce})
    return causes


def _not_tested(doc: dict) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for item in doc.get("not_tested") or []:
        grouped.setdefault(str(item.get("reason") or "no reason given"), []).append(
            str(item.get("check", "")))
    return sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _suites(doc: dict) -> list[tuple[str, str, list[dict]]]:
    order = {outcome: i for i, outcome in enumerate(OUTCOME_ORDER)}
    suites: dict[str, list[dict]] = {}
    for check in doc.get("checks") or []:
        suites.setdefault(str(check.get("suite") or "other"), []).append(check)
    result = []
    for suite in sorted(suites):
        rows = sorted(suites[suite], key=lambda c: (order.get(c.get("outcome"), 99), c["id"]))
        counts = Counter(c.get("outcome") for c in rows)
        summary = ", ".join(f"{counts[o]} {o}" for o in OUTCOME_ORDER if counts[o])
        result.append((suite, summary, rows))
    return result


def context(doc: dict, baseline: dict | None = None) -> dict:
    """Everything the templates show, computed from the document (and the previous one)."""
    verdict = str(doc.get("verdict") or "error")
    checks = doc.get("checks") or []
    run = doc.get("run") or {}
    diff = compare(doc, baseline) if baseline is not None else None
    return {
        "doc": doc, "verdict": verdict, "verdict_text": VERDICT_TEXT.get(verdict, ""),
        "no_cause_text": NO_CAUSE_TEXT.get(verdict, "None listed: see the failed checks below."),
        "counts": counts_line(doc), "facts": _facts(doc), "root_causes": root_causes(doc),
        "not_tested": _not_tested(doc),
        "not_tested_count": len(doc.get("not_tested") or []),
        "known_issues": doc.get("known_issues") or [],
        "diff": diff, "different_target": _different(diff, run.get("target_key") or
                                                     doc.get("target")),
        "different_contract": diff is not None and diff.previous_contract not in
        ("", run.get("contract")),
        "severity_line": severity_line(doc), "severity_counts": severity_counts(doc),
        "stack": doc.get("stack"),
        "history": doc.get("history"), "sparkline": sparkline,
        "previous_when": _when(baseline.get("started_at")) if baseline is not None else "",
        "how_run": _how_run(doc), "notes": doc.get("notes") or [],
        "chart": Markup(latency_chart(checks)), "timed": timed_checks(checks),
        "suites": _suites(doc), "generated": _when(doc.get("started_at")),
    }


def _different(diff: BaselineDiff | None, target_key: object) -> str:
    """The baseline's target when it is another one (compared by target key: every embedded
    run is the same target whatever its port), else ''."""
    if diff is None or not diff.previous_target_key or diff.previous_target_key == target_key:
        return ""
    return diff.previous_target


def sparkline(values: list[int], width: int = 120, height: int = 18) -> Markup:
    """A small inline SVG of latencies, oldest first (the last point, this run, marked)."""
    if len(values) < 2:
        return Markup("")
    top, low = max(values), min(values)
    span = (top - low) or 1
    step = width / (len(values) - 1)
    points = [(i * step, height - 2 - (v - low) * (height - 4) / span)
              for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return Markup(f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} '
                  f'{height}" role="img" aria-label="trend"><polyline points="{path}" '
                  f'fill="none" stroke="#0969da" stroke-width="1.5"/><circle cx="{x:.1f}" '
                  f'cy="{y:.1f}" r="2.5" fill="#0969da"/></svg>')


def _environment(markdown: bool) -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # only for a page

    common = {"loader": FileSystemLoader(TEMPLATES), "trim_blocks": True,
              "lstrip_blocks": True, "keep_trailing_newline": True}
    if markdown:
        env = Environment(autoescape=False, finalize=md_text, **common)
        env.filters.update(code=md_code, link=md_link)
    else:
        env = Environment(autoescape=select_autoescape(default=True), **common)
        env.filters["url"] = safe_url
    env.filters["label"] = check_label
    env.filters["plural"] = _plural
    env.tests["slow"] = is_slow
    env.filters["when"] = _when
    return env


def render_signoff(doc: dict, baseline: dict | None = None, markdown: bool = False) -> str:
    """The page as text (HTML unless `markdown`)."""
    name = "signoff.md.j2" if markdown else "signoff.html.j2"
    return _environment(markdown).get_template(name).render(context(doc, baseline))


def write_signoff(path: str | Path, doc: dict, baseline: dict | None = None) -> None:
    """Write the sign-off page for `doc`: Markdown when `path` ends in .md, else HTML."""
    path = Path(path)
    markdown = path.suffix.lower() in (".md", ".markdown")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_signoff(doc, baseline, markdown), encoding="utf-8")
