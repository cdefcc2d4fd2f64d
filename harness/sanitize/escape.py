"""Target text made safe to print: control characters become visible escapes.

Whatever a target sends (bodies, header values, Socket.IO refusal messages) may carry terminal
escape sequences (``\\x1b[8m`` hides the rest of a line), carriage returns and newlines that
forge output lines (``\\nVERDICT: PASS``), C1 controls (``\\x9b`` is a one-byte CSI on some
terminals) and bidi/format controls that reorder what a reader sees (``\\u202e``). Each becomes
a visible escape in the style of Python's ``repr``, so the text stays readable and cannot act.
Backslashes are left alone: an escape that the target sent as text is shown as it was sent.
"""

from __future__ import annotations

import codecs

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_FORMAT_CONTROLS = (
    [0x061C, 0x180E, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x2028, 0x202F))
    + list(range(0x2060, 0x206A))
)


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]:
        table[code] = _NAMED.get(chr(code), f"\\x{code:02x}")
    for code in [*_FORMAT_CONTROLS, *range(0xD800, 0xE000)]:
        table[code] = f"\\u{code:04x}"
    return table


_ESCAPES = _table()


def escape_control(text: str) -> str:
    """``text`` with every control, bidi/format character and lone surrogate escaped.

    C0 controls (``\\n``, ``\\r``, ``\\t`` by name, the rest as ``\\xNN``), DEL and C1 controls
    become ``\\xNN``; bidi and zero-width format characters and lone surrogates (left by
    ``surrogateescape`` decoding) become ``\\uNNNN``.
    """
    return text.translate(_ESCAPES)


def safe_excerpt(data: bytes | str, limit: int) -> str:
    """At most ``limit`` bytes of ``data`` as printable text, with a marker when truncated.

    Bytes are decoded as UTF-8 (invalid bytes shown as ``\\xNN``); a multi-byte character cut by
    the limit is dropped rather than shown half. Text is measured in its UTF-8 bytes.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "backslashreplace")
    limit = max(limit, 0)
    if len(data) <= limit:
        return escape_control(data.decode("utf-8", "backslashreplace"))
    decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")
    head = decoder.decode(data[:limit], final=False)
    return f"{escape_control(head)}… [truncated at {limit} bytes]"
