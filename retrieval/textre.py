r"""Linear-time regular expressions for text that users (and the model) write: RE2 behind `re`'s API.

Python's `re` backtracks: one pattern with two `\s*` in a row spent 0.3 s on "order" + 4,000
spaces, and the small-talk rule doubled its time with each "thank you". RE2 matches in time
linear in the text. `compile` takes `re` syntax and keeps `re`'s Unicode classes (RE2's are
ASCII): `\d` is `\p{Nd}`, `\w` is letters, numbers and `_`, `\s` is what `str.isspace` accepts.
Two differences stay: `\b` is an ASCII word boundary ("我要lego" has one before "lego"), and
`$` matches only at the very end, not before a final newline. RE2 rejects lookaround and
backreferences; `compile` raises then, so a pattern it cannot run fails the import of its module
(there is no fallback to `re`).
"""

from __future__ import annotations

import re2

IGNORECASE = I = 2  # noqa: E741  (re.I, the only flag the assistant uses)
error = re2.error  # what `compile` raises for a pattern RE2 cannot run
# RE2's DFA needs memory in proportion to the program, and Unicode classes make programs big
# (`\[[\w-]{1,40}\]` is 54k instructions): at RE2's 8 MiB default such a pattern falls back to
# the slower NFA on every search, and logs that it did. The memory is taken only as needed.
_MAX_MEM = 32 << 20

_SPACE = r"\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_WORD = r"\p{L}\p{N}_"
_OUTSIDE = {
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
}
_INSIDE = {"d": r"\p{Nd}", "D": r"\P{Nd}", "w": _WORD, "s": _SPACE}

Pattern = type(re2.compile(""))
Match = type(re2.compile("").match(""))


def _unicode_classes(pattern: str) -> str:
    r"""`pattern` with `re`'s Unicode meaning of \d \w \s (and \D \W \S) spelled out for RE2."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            esc = pattern[i + 1 : i + 2]
            table = _INSIDE if in_class else _OUTSIDE
            if in_class and esc in ("W", "S"):
                raise ValueError(f"\\{esc} inside [...] has no RE2 form: {pattern!r}")
            out.append(table.get(esc, c + esc) if esc else c)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            start = i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1
            if pattern[start : start + 1] == "]":  # a leading "]" is a literal
                out.append(pattern[i:start] + r"\]")
                i = start + 1
                continue
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


def compile(pattern: str, flags: int = 0) -> Pattern:
    """`pattern` (in `re` syntax) compiled by RE2; raises `re2.error` where RE2 cannot run it."""
    if flags & ~IGNORECASE:
        raise ValueError(f"unsupported flags {flags}: only IGNORECASE")
    options = re2.Options()
    options.case_sensitive = not flags & IGNORECASE
    options.max_mem = _MAX_MEM
    rx = re2.compile(_unicode_classes(pattern), options)
    if not isinstance(rx, Pattern):  # some RE2 bindings fall back to `re` silently
        raise TypeError(f"not compiled by RE2: {pattern!r}")
    return rx


def escape(text: str) -> str:
    """`text` as a literal inside a pattern."""
    return re2.escape(text)


def split_at(pattern: Pattern, text: str) -> list[str]:
    r"""`text` cut at each match's group 1 (the whole match where group 1 did not take part).

    Stands in for lookaround splits: `[.!?](\s+)` cuts like `(?<=[.!?])\s+`."""
    parts, start = [], 0
    for m in pattern.finditer(text):
        a, b = m.span(1) if pattern.groups and m.group(1) is not None else m.span()
        parts.append(text[start:a])
        start = b
    parts.append(text[start:])
    return parts
