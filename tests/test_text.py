"""Free text refuses control and bidirectional-override characters, and says where."""

from __future__ import annotations

import pytest

from tfp_rules.text import check_text, text_problem


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
