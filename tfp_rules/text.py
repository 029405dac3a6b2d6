"""Free text that people type (reasons, names, who made a judgement): what it may contain.

Control characters (NUL, escape, ...) and the Unicode bidirectional overrides,
embeddings and isolates are refused wherever free text is accepted: they can
hide or reorder what a reviewer reads ("Trojan Source", CVE-2021-42574), and
NUL truncates text in many tools. Newlines and tabs stay allowed where a text
may run over several lines.
"""

from __future__ import annotations

import unicodedata

# U+202A..U+202E embeddings and overrides, U+2066..U+2069 isolates.
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_MULTILINE_OK = frozenset("\n\t\r")

# The same rules as JSON Schema patterns, for published schemas: what text_problem refuses.
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
LINE_PATTERN = rf"^[^\x09\x0a\x0d{_REFUSED}]*$"
"""One line of free text (`multiline=False`)."""
TEXT_PATTERN = rf"^[^{_REFUSED}]*$"
"""Free text over lines (`multiline=True`)."""
NOT_BLANK_TEXT_PATTERN = rf"^[^{_REFUSED}]*[^\s{_REFUSED}][^{_REFUSED}]*$"
"""Free text over lines, with something in it besides white space."""


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable free text, or None if it is.

    The message names the first offending character by code point and position,
    never echoing the text itself (it may be personal data).
    """
    for position, char in enumerate(value):
        if char in BIDI_CONTROLS:
            return (
                f"contains a bidirectional control character (U+{ord(char):04X}) at "
                f"position {position}, which can disguise what the text says"
            )
        if unicodedata.category(char) == "Cc" and not (multiline and char in _MULTILINE_OK):
            allowed = " (newlines and tabs are allowed)" if multiline else ""
            return (
                f"contains a control character (U+{ord(char):04X}) at position {position}{allowed}"
            )
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    """`value` unchanged if it is acceptable free text; ValueError saying why not (for
    pydantic validators and other callers that report ValueErrors)."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return value
