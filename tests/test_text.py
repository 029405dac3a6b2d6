"""Free text refuses control and bidirectional-override characters, and says where."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfp_rules.text import (
    LINE_PATTERN,
    NOT_BLANK_TEXT_PATTERN,
    TEXT_PATTERN,
    check_text,
    text_problem,
)


@pytest.mark.parametrize(
    "text",
    ["Family left the area in March", "GP letter on file — Dr Ó Súilleabháin", "שלום", ""],
)
def test_ordinary_text_in_any_script_is_accepted(text):
    assert text_problem(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a\x00b", "U+0000"),
        ("esc\x1b[31m", "U+001B"),
        ("x\u202eevil", "U+202E"),
        ("\u2066", "U+2066"),
    ],
)
def test_control_and_bidi_override_characters_are_refused_by_code_point(text, code):
    problem = text_problem(text, multiline=True)
    assert problem is not None and code in problem
    assert text not in problem  # the text itself is never echoed


def test_newlines_and_tabs_only_where_text_runs_over_lines():
    assert text_problem("line one\nline two\ttabbed", multiline=True) is None
    assert "U+000A" in (text_problem("one\ntwo") or "")
    with pytest.raises(ValueError, match=r"U\+0000"):
        check_text("\x00")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_the_published_patterns_say_exactly_what_the_check_refuses(text):
    # fullmatch: JSON Schema's "$" is the end of the text, not "before a final newline"
    assert (re.fullmatch(TEXT_PATTERN, text) is not None) == (
        text_problem(text, multiline=True) is None
    )
    assert (re.fullmatch(LINE_PATTERN, text) is not None) == (text_problem(text) is None)
    not_blank = text_problem(text, multiline=True) is None and bool(text.strip())
    assert (re.fullmatch(NOT_BLANK_TEXT_PATTERN, text) is not None) == not_blank
