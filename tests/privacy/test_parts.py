"""The pieces of the extract: pseudonyms, age bands, months and cell suppression."""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta

from tfp_rules.privacy.coarsening import AGE_BAND_LABELS, age_band, month
from tfp_rules.privacy.pseudonyms import ResearchSecret
from tfp_rules.privacy.research import ExtractError, code, parse_age
from tfp_rules.privacy.suppression import SUPPRESSED, suppress_group


def test_pseudonyms_are_keyed_and_separated_by_kind():
    a, b = ResearchSecret(b"a" * 32), ResearchSecret(b"b" * 32)
    assert a.pseudonym("family", "F1") == a.pseudonym("family", "F1")
    assert a.pseudonym("family", "F1") != b.pseudonym("family", "F1")
    assert a.pseudonym("family", "F1") != a.pseudonym("member", "F1")
    assert a.pseudonym("member", "ab", "c") != a.pseudonym("member", "a", "bc")
    assert a.key_id != b.key_id and len(a.key_id) == 16
    assert "a" * 32 not in repr(a)


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2015-04-01", "2019-03-31", "0-4"),
        ("2014-03-31", "2019-03-31", "5-10"),
        ("2003-04-01", "2019-03-31", "11-15"),
        ("2001-03-31", "2019-03-31", "18-24"),
        ("2001-04-01", "2019-03-31", "16-17"),
        ("1950-01-01", "2019-03-31", "65+"),
        ("2000-02-29", "2018-02-28", "16-17"),
        ("2000-02-29", "2018-03-01", "18-24"),
        ("2020-01-01", "2019-03-31", "unknown"),
        (None, "2019-03-31", "unknown"),
    ],
)
def test_age_bands_on_the_assessment_date(born, on, band):
    assert age_band(born, on) == band
    assert band in (*AGE_BAND_LABELS, "unknown")


def test_months():
    assert month("2019-03-31") == "2019-03"
    assert month("2026-11-25T09:00:01.000000Z") == "2026-11"
    assert month(None) is None
    with pytest.raises(ValueError):
        month("yesterday")


def test_primary_and_secondary_suppression():
    assert suppress_group({"a": 12, "b": 15}, 10) == {"a": 12, "b": 15, "all": 27}
    # one small cell: the next smallest non-zero goes too, so the total cannot give it back
    assert suppress_group({"a": 3, "b": 15, "c": 12, "d": 0}, 10) == {
        "a": SUPPRESSED,
        "b": 15,
        "c": SUPPRESSED,
        "d": 0,
        "all": 30,
    }
    # two small cells hide each other
    assert suppress_group({"a": 3, "b": 4, "c": 20}, 10) == {
        "a": SUPPRESSED,
        "b": SUPPRESSED,
        "c": 20,
        "all": 27,
    }
    # one small cell and nothing else to hide: the total goes
    assert suppress_group({"a": 3, "b": 0}, 2) == {"a": 3, "b": 0, "all": 3}
    assert suppress_group({"a": 1, "b": 0, "c": 0}, 10) == {
        "a": SUPPRESSED,
        "b": 0,
        "c": 0,
        "all": SUPPRESSED,
    }


def test_a_group_never_has_exactly_one_hidden_number():
    import itertools

    for cells in itertools.product(range(0, 14, 3), repeat=3):
        shown = suppress_group(dict(zip("abc", cells, strict=True)), 10)
        assert list(shown.values()).count(SUPPRESSED) != 1, cells


def test_only_codes_go_into_an_extract():
    assert code("H1.proven_offence") == "H1.proven_offence" and code(None) is None
    for text in ("GP letter on file", "a,b", "x" * 65, "", 7):
        with pytest.raises(ExtractError):
            code(text)


def test_ages():
    assert parse_age("5y") == relativedelta(years=5)
    assert parse_age("18m") == relativedelta(months=18)
    with pytest.raises(ValueError):
        parse_age("five years")
