"""Text of the target's inside a YAML comment of `init`: one line, control characters escaped,
shortened at a word boundary and never inside a quoted string."""

from __future__ import annotations

from harness.sanitize.escape import escape_control

ELLIPSIS = " ..."


def _balanced(text: str) -> bool:
    """No quoted string left open (a `'` inside a word, as in "can't", is no quote)."""
    double = text.count('"') % 2 == 0
    singles = [i for i, c in enumerate(text) if c == "'" and not (
        0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum())]
    return double and len(singles) % 2 == 0


def clip(text: str, limit: int) -> str:
    """`text` on one line within `limit` characters: cut at a space, before any quote the cut
    would leave open, with " ..." when something was left out."""
    text = " ".join(escape_control(text).split())
    if len(text) <= limit:
        return text
    cut = text[:max(limit - len(ELLIPSIS), 0)]
    while cut:
        space = cut.rfind(" ")
        cut = cut[:space].rstrip(" ,;:") if space > 0 else ""
        if _balanced(cut):
            break
    return cut + ELLIPSIS if cut else ELLIPSIS.strip()


def join_clipped(items: list[str], limit: int, sep: str = "; ") -> str:
    """Whole items while they fit in `limit`, then how many were left out."""
    shown: list[str] = []
    for n, item in enumerate(items):
        rest = f"{sep}and {len(items) - n} more" if n < len(items) - 1 else ""
        candidate = sep.join([*shown, item])
        if len(candidate) + len(rest) > limit and shown:
            return sep.join(shown) + f"{sep}and {len(items) - n} more"
        shown.append(item if len(candidate) <= limit else clip(item, limit))
    return sep.join(shown)


def _words_outside_quotes(text: str) -> list[str]:
    """`text` split at the spaces that are not inside a quoted string."""
    words, current, quote = [], "", ""
    for n, char in enumerate(text):
        word_inside = 0 < n < len(text) - 1 and text[n - 1].isalnum() and text[n + 1].isalnum()
        if char in "'\"" and not (char == "'" and word_inside):
            quote = "" if quote == char else (quote or char)
        if char == " " and not quote:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    return [*words, current] if current else words


def wrap_comment(line: str, width: int = 100) -> list[str]:
    """A whole-line YAML comment longer than `width` as several, broken between words and
    never inside a quoted string."""
    if len(line) <= width or not line.lstrip().startswith("#"):
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    lead = "#   "
    lines, current = [], ""
    for word in _words_outside_quotes(line.lstrip()[1:].lstrip()):
        prefix = f"{indent}# " if not lines and not current else f"{indent}{lead}"
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = f"{indent}{lead}{word}"
        else:
            current = f"{current} {word}" if current else f"{prefix}{word}"
    return [*lines, current] if current else lines
