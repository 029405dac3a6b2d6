"""Human reviews: confirm or override with a reason, never touching the decision; the outcome
in force, and which reviews it allows."""

from __future__ import annotations

import contextlib
import itertools
import re
import threading

import pytest

from tfp_rules.store import NotFoundError, ReviewRefusedError, Store
from tfp_rules.store.records import Outcome


def undetermined(make):
    decision, facts = make()
    return {**decision, "status": "undetermined", "eligible": None}, facts


def in_force(store, decision_id) -> tuple[str, str, str]:
    got = store.get_decision(decision_id)
    return got.outcome.status, got.outcome.source, got.review_status


def test_an_override_puts_its_outcome_in_force_and_leaves_the_decision_as_made(store, make):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    assert store.get_decision(saved.id).outcome == Outcome("eligible", True, "automated", None)
    override = store.add_review(
        saved.id, verdict="override", eligible=False, reason="  family moved away  ", reviewer="r2"
    )
    assert (override.eligible, override.reason, override.reviewer) == (
        False,
        "family moved away",
        "r2",
    )
    got = store.get_decision(saved.id)
    assert got.outcome == Outcome("not_eligible", False, "review", override.id)
    assert got.review_status == "overridden" and got.reviews == [override]
    # the automated decision is untouched
    assert got.decision == decision and got.eligible is True and got.status == "eligible"
    assert {k: v for k, v in vars(got).items() if k != "reviews"} == {
        k: v for k, v in vars(saved).items() if k != "reviews"
    }


def test_a_confirmation_agrees_with_the_automated_outcome_and_changes_nothing(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    confirm = store.add_review(saved.id, verdict="confirm", reason="checked", reviewer="r1")
    assert (confirm.verdict, confirm.eligible) == ("confirm", None)
    got = store.get_decision(saved.id)
    assert got.outcome == Outcome("eligible", True, "automated", confirm.id)
    assert got.review_status == "confirmed"


def test_a_confirmation_after_an_override_confirms_the_override(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    store.add_review(saved.id, verdict="override", eligible=False, reason="moved", reviewer="r1")
    confirm = store.add_review(saved.id, verdict="confirm", reason="agreed", reviewer="r2")
    got = store.get_decision(saved.id)
    # it does not quietly restore the automated outcome
    assert got.outcome == Outcome("not_eligible", False, "review", confirm.id)
    assert got.review_status == "overridden"


def test_overriding_back_to_the_automated_outcome_makes_it_confirmed_by_review(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    store.add_review(saved.id, verdict="override", eligible=False, reason="moved", reviewer="r1")
    back = store.add_review(
        saved.id, verdict="override", eligible=True, reason="appeal upheld", reviewer="r2"
    )
    got = store.get_decision(saved.id)
    assert got.outcome == Outcome("eligible", True, "review", back.id)
    assert got.review_status == "confirmed"


def test_an_override_to_the_outcome_already_in_force_is_refused(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    with pytest.raises(ReviewRefusedError, match="eligible is already the outcome in force") as e:
        store.add_review(saved.id, verdict="override", eligible=True, reason="x", reviewer="r1")
    assert e.value.code == "already-in-force"
    assert "send verdict 'confirm'" in str(e.value)
    store.add_review(saved.id, verdict="override", eligible=False, reason="moved", reviewer="r1")
    with pytest.raises(ReviewRefusedError, match="not eligible is already the outcome in force"):
        store.add_review(saved.id, verdict="override", eligible=False, reason="x", reviewer="r2")
    assert len(store.get_decision(saved.id).reviews) == 1


def test_nothing_can_be_confirmed_while_undetermined_until_an_override(store, make):
    saved, _ = store.save_decision(*undetermined(make), submitted_by="k1")
    assert store.get_decision(saved.id).outcome == Outcome("undetermined", None, "automated", None)
    with pytest.raises(ReviewRefusedError, match="nothing to confirm") as e:
        store.add_review(saved.id, verdict="confirm", reason="looks right", reviewer="r1")
    assert e.value.code == "nothing-to-confirm"
    assert store.get_decision(saved.id).reviews == []
    store.add_review(saved.id, verdict="override", eligible=True, reason="seen", reviewer="r1")
    assert in_force(store, saved.id) == ("eligible", "review", "overridden")
    store.add_review(saved.id, verdict="confirm", reason="agreed", reviewer="r2")
    assert in_force(store, saved.id) == ("eligible", "review", "overridden")


def test_two_reviewers_at_once_cannot_both_override_to_the_same_outcome(db_path, make):
    """The check runs inside the write transaction: the second sees the first's review."""
    with Store(db_path) as store:
        saved, _ = store.save_decision(*make(), submitted_by="k1")
    barrier = threading.Barrier(4)
    recorded, refused = [], []

    def review(n):
        with Store(db_path) as mine:
            barrier.wait()
            try:
                recorded.append(
                    mine.add_review(
                        saved.id, verdict="override", eligible=False, reason="x", reviewer=f"r{n}"
                    )
                )
            except ReviewRefusedError as exc:
                refused.append(exc.code)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(recorded), refused) == (1, ["already-in-force"] * 3)
    with Store(db_path) as store:
        assert len(store.get_decision(saved.id).reviews) == 1


ACTIONS = [("confirm", None), ("override", True), ("override", False)]


def test_the_list_filters_agree_with_the_outcome_each_decision_reports(store, make):
    """The SQL behind ?outcome= and ?review_status= against the rule in records.py, over every
    sequence of up to three reviews, on eligible, not eligible and undetermined decisions."""
    decision, facts = make()
    for automated, status in ((True, "eligible"), (False, "not_eligible"), (None, "undetermined")):
        made = {**decision, "eligible": automated, "status": status}
        for n in range(4):
            for actions in itertools.product(ACTIONS, repeat=n):
                saved, _ = store.save_decision(made, facts, submitted_by="k1")
                for verdict, eligible in actions:
                    with contextlib.suppress(ReviewRefusedError):
                        store.add_review(
                            saved.id, verdict=verdict, eligible=eligible, reason="r", reviewer="r1"
                        )
    everything, _ = store.list_decisions(limit=500)
    assert len(everything) == 3 * (1 + 3 + 9 + 27)
    for outcome in ("eligible", "not_eligible", "undetermined"):
        expected = {d.id for d in everything if d.outcome.status == outcome}
        assert {d.id for d in store.list_decisions(outcome=outcome, limit=500)[0]} == expected
    for review_status in ("unreviewed", "confirmed", "overridden"):
        expected = {d.id for d in everything if d.review_status == review_status}
        assert expected, review_status
        listed = store.list_decisions(review_status=review_status, limit=500)[0]
        assert {d.id for d in listed} == expected
    assert {d.outcome.source for d in everything} == {"automated", "review"}


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ({"verdict": "confirm", "eligible": False}, "a confirmation agrees with the outcome"),
        ({"verdict": "override"}, "an override must give the new outcome: eligible true or false"),
        ({"verdict": "override", "eligible": "no"}, "an override must give the new outcome"),
        ({"verdict": "confirm", "reason": ""}, "a review needs a reason"),
        ({"verdict": "override", "eligible": False, "reason": " \n"}, "a review needs a reason"),
        ({"verdict": "approve"}, "unknown verdict 'approve'; one of: confirm, override"),
        ({"verdict": "confirm", "reason": "ok\x00"}, "the reason contains a control character"),
        ({"verdict": "confirm", "reason": "ok\u202e"}, "bidirectional control character"),
        ({"verdict": "confirm", "reason": "ok\u2066x"}, "bidirectional control character"),
    ],
)
def test_review_rules(store, make, review, message):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    with pytest.raises(ValueError, match=re.escape(message)):
        store.add_review(saved.id, **{"reason": "because", "reviewer": "r1", **review})
    assert store.get_decision(saved.id).reviews == []


def test_a_reason_may_run_over_several_lines(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    review = store.add_review(
        saved.id, verdict="confirm", reason="Checked:\n\t- school letter", reviewer="r1"
    )
    assert review.reason == "Checked:\n\t- school letter"


def test_reviewing_an_unknown_decision(store):
    with pytest.raises(NotFoundError, match="no decision 'nope'"):
        store.add_review("nope", verdict="confirm", reason="checked", reviewer="r1")
