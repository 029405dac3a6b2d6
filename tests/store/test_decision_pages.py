"""Numbered pages of decisions in a chosen order, and counts per filter value in one query,
for lists a person pages through and narrows (the work queue page)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from .conftest import family


@pytest.fixture
def saved(store, clock, make, reviewer):
    """Five decisions: A twice (the second supersedes the first), B not eligible, C under a
    later ruleset and overridden, D confirmed."""
    out = {}
    specs = [
        ("a1", "2026-03-01T10:00:00", family("A", "2019-03-31"), "national@2015.1", None),
        ("b", "2026-03-01T11:00:00", family("B", "2019-03-01", eligible=False), None, None),
        ("c", "2026-03-02T10:00:00", family("C", "2019-06-30"), "national@2019.1", None),
        ("d", "2026-03-03T09:00:00", family("D", "2019-02-01"), None, None),
        ("a2", "2026-03-04T10:00:00", family("A", "2019-04-30"), "national@2015.1", "a1"),
    ]
    for name, at, doc, ruleset, previous in specs:
        clock.now = datetime.fromisoformat(at).replace(tzinfo=UTC) - clock.step
        if name == "a2":
            doc["sources_checked"] = {"police": "2019-04-02"}
        out[name] = store.save_decision(
            *make(doc, ruleset),
            submitted_by="k1",
            previous_id=out[previous].id if previous else None,
        )[0]
    store.add_review(
        out["c"].id, verdict="override", eligible=False, reason="moved", reviewer=reviewer.id
    )
    store.add_review(out["d"].id, verdict="confirm", reason="checked", reviewer=reviewer.id)
    return out


def names(saved, records) -> list[str]:
    by_id = {d.id: name for name, d in saved.items()}
    return [by_id[d.id] for d in records]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-created", ["a2", "d", "c", "b", "a1"]),
        ("created", ["a1", "b", "c", "d", "a2"]),
        ("-assessed", ["c", "a2", "a1", "b", "d"]),
        ("assessed", ["d", "b", "a1", "a2", "c"]),
    ],
)
def test_a_page_in_each_order(store, saved, sort, order):
    assert names(saved, store.decision_page(sort=sort)) == order
    assert names(saved, store.decision_page(sort=sort, offset=1, limit=2)) == order[1:3]
    assert store.decision_page(sort=sort, offset=5) == []


def test_a_page_takes_the_lists_filters(store, saved):
    assert names(saved, store.decision_page(latest=True)) == ["a2", "d", "c", "b"]
    assert names(saved, store.decision_page(outcome="not_eligible")) == ["c", "b"]
    assert names(saved, store.decision_page(family_ref="A", sort="created")) == ["a1", "a2"]
    [d] = store.decision_page(review_status="confirmed")
    assert d.id == saved["d"].id and d.review_status == "confirmed" and len(d.reviews) == 1


def test_each_filter_is_counted_with_the_others_applied(store, saved):
    total, counts = store.decision_counts()
    assert total == 5
    assert counts["outcome"] == {"eligible": 3, "not_eligible": 2}
    assert counts["status"] == {"eligible": 4, "not_eligible": 1}
    assert counts["review_status"] == {"unreviewed": 3, "confirmed": 1, "overridden": 1}
    assert counts["ruleset"] == {"national@2015.1": 4, "national@2019.1": 1}
    assert counts["headline"]["H6"] == 4 and "H6" not in saved["b"].headlines_met
    total, counts = store.decision_counts(latest=True, outcome="eligible")
    assert total == 2  # a2 and d
    # a filter's own counts ignore it, so each value says what choosing it would give
    assert counts["outcome"] == {"eligible": 2, "not_eligible": 2}
    assert counts["review_status"] == {"unreviewed": 1, "confirmed": 1}
    assert counts["ruleset"] == {"national@2015.1": 2}
    total, counts = store.decision_counts(headline="H6", ruleset="national@2019.1")
    assert total == 1
    assert counts["headline"]["H6"] == 1 and counts["ruleset"]["national@2015.1"] == 3


def test_counts_agree_with_the_pages(store, saved):
    total, counts = store.decision_counts(latest=True)
    assert total == len(store.decision_page(latest=True))
    for name, values in counts.items():
        for value, n in values.items():
            assert len(store.decision_page(latest=True, **{name: value})) == n, (name, value)


def test_counting_is_one_query(store, saved):
    seen = []
    with store.db.tracer(lambda sql, params: seen.append(sql)):
        store.decision_counts(latest=True, headline="H2")
    assert len([sql for sql in seen if "count(*)" in sql]) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sort": "size"}, "sort is one of -created, created, -assessed, assessed"),
        ({"offset": -1}, "offset cannot be negative"),
        ({"limit": 0}, "limit must be at least 1"),
        ({"colour": "red"}, "unknown filter colour"),
        ({"assessed_from": "2019-02-30"}, "assessed_from: not an ISO 8601 date"),
    ],
)
def test_bad_arguments_say_what_is_wrong(store, arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        store.decision_page(**arguments)
    if set(arguments) - {"sort", "offset", "limit"}:
        with pytest.raises(ValueError, match=re.escape(message)):
            store.decision_counts(**arguments)
