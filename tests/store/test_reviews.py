"""Human reviews: confirm or override with a reason, never touching the decision."""

from __future__ import annotations

import re

import pytest

from tfp_rules.store import (
    NotFoundError,
)


def test_review_status_and_outcome_follow_the_latest_review(store, make, reviewer):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    confirm = store.add_review(saved.id, verdict="confirm", reason="checked", reviewer=reviewer.id)
    assert (confirm.verdict, confirm.eligible, confirm.reviewer) == ("confirm", None, reviewer.id)
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome, got.reviews) == ("confirmed", True, [confirm])

    override = store.add_review(
        saved.id, verdict="override", eligible=False, reason="  family moved away  ", reviewer="r2"
    )
    assert (override.eligible, override.reason) == (False, "family moved away")
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome) == ("overridden", False)
    assert got.reviews == [confirm, override]

    # the automated decision is untouched
    assert got.decision == decision and got.eligible is True
    assert {k: v for k, v in vars(got).items() if k != "reviews"} == {
        k: v for k, v in vars(saved).items() if k != "reviews"
    }

    store.add_review(saved.id, verdict="confirm", reason="appeal upheld", reviewer="r3")
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome, len(got.reviews)) == ("confirmed", True, 3)


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ({"verdict": "confirm", "eligible": False}, "a confirmation keeps the automated outcome"),
        ({"verdict": "override"}, "an override must give the new outcome: eligible true or false"),
        ({"verdict": "override", "eligible": "no"}, "an override must give the new outcome"),
        ({"verdict": "confirm", "reason": ""}, "a review needs a reason"),
        ({"verdict": "override", "eligible": False, "reason": " \n"}, "a review needs a reason"),
        ({"verdict": "approve"}, "unknown verdict 'approve'; one of: confirm, override"),
    ],
)
def test_review_rules(store, make, review, message):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    with pytest.raises(ValueError, match=re.escape(message)):
        store.add_review(saved.id, **{"reason": "because", "reviewer": "r1", **review})
    assert store.get_decision(saved.id).reviews == []


def test_reviewing_an_unknown_decision(store):
    with pytest.raises(NotFoundError, match="no decision 'nope'"):
        store.add_review("nope", verdict="confirm", reason="checked", reviewer="r1")
