"""Target text is escaped before it reaches a terminal or a report."""

from __future__ import annotations

import pytest

from harness.sanitize.escape import escape_control, safe_excerpt

INJECTION = "denied\nVERDICT: PASS - 66 checks passed\n\x1b[8m"


def test_the_fake_verdict_line_cannot_start_a_line_or_hide_text() -> None:
    escaped = escape_control(INJECTION)
    assert escaped == "denied\\nVERDICT: PASS - 66 checks passed\\n\\x1b[8m"
    assert "\n" not in escaped and "\x1b" not in escaped


@pytest.mark.parametrize(("char", "shown"), [
    ("\x00", "\\x00"), ("\x07", "\\x07"), ("\x08", "\\x08"), ("\t", "\\t"), ("\r", "\\r"),
    ("\x1b", "\\x1b"), ("\x1f", "\\x1f"), ("\x7f", "\\x7f"), ("\x80", "\\x80"),
    ("\x9b", "\\x9b"), ("\x9f", "\\x9f"), ("\u200b", "\\u200b"), ("\u200f", "\\u200f"),
    ("\u202a", "\\u202a"), ("\u202e", "\\u202e"), ("\u2066", "\\u2066"), ("\u2069", "\\u2069"),
    ("\u2028", "\\u2028"), ("\ufeff", "\\ufeff"), ("\udcff", "\\udcff"),
])
def test_each_control_becomes_a_visible_escape(char: str, shown: str) -> None:
    assert escape_control(f"a{char}b") == f"a{shown}b"


def test_every_c0_c1_and_del_character_is_escaped() -> None:
    controls = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
    escaped = escape_control(controls)
    assert escaped.isascii() and escaped.isprintable()


def test_printable_text_and_backslashes_are_unchanged() -> None:
    text = 'Grüße, 日本語 {"path": "C:\\\\x1b"} \\n €'
    assert escape_control(text) == text


def test_excerpt_decodes_invalid_utf8_visibly() -> None:
    assert safe_excerpt(b"ok \xff\xfe \xc3\xa9", 100) == "ok \\xff\\xfe é"


def test_excerpt_truncates_with_a_marker_and_escapes() -> None:
    excerpt = safe_excerpt(b"\x1b[2J" + b"x" * 100, 10)
    assert excerpt == "\\x1b[2Jxxxxxx… [truncated at 10 bytes]"


def test_excerpt_drops_a_character_cut_in_half_by_the_limit() -> None:
    assert safe_excerpt("ab€cd".encode(), 3) == "ab… [truncated at 3 bytes]"


def test_excerpt_of_text_counts_utf8_bytes() -> None:
    assert safe_excerpt("ééé", 6) == "ééé"
    assert safe_excerpt("éééé", 6) == "ééé… [truncated at 6 bytes]"
    assert safe_excerpt("\udcff", 10) == "\\udcff"
