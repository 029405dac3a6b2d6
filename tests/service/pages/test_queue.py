"""The work queue page (`GET /decisions`): the latest decision of each family, filtered,
counted, sorted and paginated, audited as the API's list is; data made through the API."""

from __future__ import annotations

import copy
import re
from html import unescape

import pytest

from service.pages import queue
from tfp_rules.summary import human_date, human_when


def post(client, auth, doc, query=""):
    r = client.post(f"/v1/evaluations{query}", json=doc, headers=auth())
    assert r.status_code == 201, r.text
    return r.get_json()


def bare(doc: dict) -> dict:
    """The family with nothing on record: not eligible."""
    doc = copy.deepcopy(doc)
    for m in doc["members"]:
        m.update(events=[], benefits=[], flags={})
        m.pop("school", None)
    doc["household"], doc["judgements"] = {"events": []}, []
    return doc


@pytest.fixture
def made(client, auth, example) -> dict[str, dict]:
    """Families A to E, made as partners and reviewers make them, oldest first:
    A twice (A2, facts added, supersedes A1), B not eligible, C overridden to not eligible,
    D undetermined and assessed earlier, E under the Stockton ruleset and confirmed."""
    out = {"A1": post(client, auth, {**example, "family_ref": "A"})}
    out["B"] = post(client, auth, {**bare(example), "family_ref": "B"})
    out["C"] = post(client, auth, {**example, "family_ref": "C"})
    undetermined = {**bare(example), "family_ref": "D", "assessment_date": "2019-02-01"}
    undetermined["sources_checked"] = {"education": "2019-01-30"}
    out["D"] = post(client, auth, undetermined)
    out["E"] = post(client, auth, {**example, "family_ref": "E"}, "?ruleset=stockton@2015.1")
    r = client.post(
        f"/v1/decisions/{out['A1']['id']}/facts",
        json={"sources_checked": {"police": "2019-04-02"}},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    out["A2"] = r.get_json()
    for name, body in (
        ("C", {"verdict": "override", "eligible": False, "reason": "The family moved away"}),
        ("E", {"verdict": "confirm", "reason": "Checked with the school"}),
    ):
        r = client.post(
            f"/v1/decisions/{out[name]['id']}/reviews", json=body, headers=auth("reviewer")
        )
        assert r.status_code == 201, r.text
    assert (out["B"]["status"], out["D"]["status"]) == ("not_eligible", "undetermined")
    return out


@pytest.fixture
def reviewer(browser):
    return browser("reviewer")


def families(html: str) -> list[str]:
    """The family refs in the table, top to bottom."""
    body = html.split('<tbody class="govuk-table__body">', 1)[-1].split("</tbody>", 1)[0]
    return re.findall(r'<a class="govuk-link" href="/decisions/\w+">([^<]+)</a>', body)


def ids(html: str) -> list[str]:
    return re.findall(r'href="/decisions/(\w{32})"', html)


def option(html: str, field: str, value: str) -> str:
    """The words of one choice of a filter, e.g. 'Eligible (3)'."""
    select = re.search(rf'<select[^>]* name="{field}".*?</select>', html, re.S).group(0)
    return unescape(re.search(rf'<option value="{re.escape(value)}"[^>]*>([^<]*)<', select)[1])


def text(html: str) -> str:
    """What a person reads: the page without its tags, spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_latest_decision_of_each_family_by_default(reviewer, made):
    r = reviewer.get("/decisions")
    assert r.status_code == 200
    assert '<h1 class="govuk-heading-l">Work queue</h1>' in r.text
    assert families(r.text) == ["A", "E", "D", "C", "B"]  # newest first; A1 is history
    assert made["A1"]["id"] not in r.text
    assert "5 decisions" in text(r.text) and "Showing 1 to 5 of 5" in text(r.text)


def test_with_earlier_decisions(reviewer, made):
    r = reviewer.get("/decisions?all=1")
    assert families(r.text) == ["A", "E", "D", "C", "B", "A"]
    assert ids(r.text)[-1] == made["A1"]["id"]
    assert "6 decisions" in text(r.text)
    assert 'name="all" type="checkbox" value="1" checked' in r.text


def test_a_row_says_what_a_person_needs(reviewer, made):
    r = reviewer.get("/decisions?family_ref=C")
    row = text(r.text.split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0])
    assert row.startswith("C 31 March 2019 Not eligible by review Overridden")
    assert "H1, H2, H3, H4, H5, H6 national@2015.1" in row
    assert re.search(r"\d{1,2} \w+ \d{4} at \d\d:\d\d$", row)  # created, to the minute
    assert f'href="/decisions/{made["C"]["id"]}"' in r.text
    for header in ("Family", "Assessed", "Outcome in force", "Review", "Headlines met"):
        assert f'<th scope="col" class="govuk-table__header">{header}</th>' in r.text
    assert "Decisions</caption>" in r.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("family_ref=A", ["A"]),
        ("family_ref=A&all=1", ["A", "A"]),
        ("family_ref=+A+", ["A"]),
        ("outcome=eligible", ["A", "E"]),
        ("outcome=not_eligible", ["C", "B"]),
        ("outcome=undetermined", ["D"]),
        ("status=eligible", ["A", "E", "C"]),  # the automated result, before C's override
        ("headline=H1", ["A", "E", "C"]),
        ("review_status=unreviewed", ["A", "D", "B"]),
        ("review_status=confirmed", ["E"]),
        ("review_status=overridden", ["C"]),
        ("ruleset=stockton@2015.1", ["E"]),
        ("ruleset=national@2015.1", ["A", "D", "C", "B"]),
        ("assessed_to=2019-03-01", ["D"]),
        ("assessed_from=2019-03-31&assessed_to=2019-03-31", ["A", "E", "C", "B"]),
        ("created_from=2000-01-01&created_to=2999-12-31", ["A", "E", "D", "C", "B"]),
        ("created_to=2000-01-01", []),
        ("outcome=eligible&review_status=confirmed", ["E"]),
        (
            "outcome=&status=&headline=&review_status=&ruleset=&family_ref=",
            ["A", "E", "D", "C", "B"],
        ),
    ],
)
def test_each_filter_narrows_the_queue(reviewer, made, query, expected):
    r = reviewer.get(f"/decisions?{query}")
    assert r.status_code == 200, text(r.text)[:500]
    assert families(r.text) == expected
    assert f"{len(expected)} decision" in text(r.text)
    if not expected:
        assert "No decisions match these filters" in r.text


def test_choices_keep_what_was_chosen(reviewer, made):
    r = reviewer.get("/decisions?outcome=eligible&assessed_from=2019-01-01&sort=created")
    assert '<option value="eligible" selected>' in r.text
    assert 'value="2019-01-01"' in r.text
    assert '<option value="created" selected>' in r.text


def test_each_choice_counts_what_the_other_filters_leave(reviewer, made):
    r = reviewer.get("/decisions")
    assert option(r.text, "outcome", "eligible") == "Eligible (2)"
    assert option(r.text, "outcome", "not_eligible") == "Not eligible (2)"
    assert option(r.text, "outcome", "undetermined") == "Undetermined (1)"
    assert option(r.text, "status", "eligible") == "Eligible (3)"
    assert option(r.text, "headline", "H1") == "H1: Crime and anti-social behaviour (3)"
    assert option(r.text, "review_status", "unreviewed") == "Unreviewed (3)"
    assert option(r.text, "review_status", "overridden") == "Overridden (1)"
    assert option(r.text, "ruleset", "national@2015.1") == "national@2015.1 (4)"
    assert option(r.text, "ruleset", "stockton@2015.1") == "stockton@2015.1 (1)"
    assert option(r.text, "outcome", "") == "Any"
    # with a filter chosen, the other filters count within it, and its own ignores it
    r = reviewer.get("/decisions?outcome=eligible&all=1")
    assert "3 decisions" in text(r.text)  # A1, A2, E
    assert option(r.text, "outcome", "not_eligible") == "Not eligible (2)"
    assert option(r.text, "review_status", "unreviewed") == "Unreviewed (2)"
    assert option(r.text, "review_status", "overridden") == "Overridden (0)"
    assert option(r.text, "ruleset", "national@2015.1") == "national@2015.1 (2)"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["A", "E", "D", "C", "B"]),
        ("-created", ["A", "E", "D", "C", "B"]),
        ("created", ["B", "C", "D", "E", "A"]),
        ("-assessed", ["A", "E", "C", "B", "D"]),  # the same day: newest first
        ("assessed", ["D", "B", "C", "E", "A"]),
    ],
)
def test_sort_orders(reviewer, made, sort, expected):
    assert families(reviewer.get(f"/decisions?sort={sort}").text) == expected


def test_pages_keep_the_filters(reviewer, made, monkeypatch):
    monkeypatch.setattr(queue, "PER_PAGE", 2)
    first = reviewer.get("/decisions?all=1&sort=created&headline=H6")
    assert families(first.text) == ["A", "C"]  # A1, C; then E, A2
    assert "Showing 1 to 2 of 4" in text(first.text)
    assert "Previous" not in text(first.text)
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text)[1]
    assert set(unescape(nxt).split("?")[1].split("&")) == {
        "headline=H6",
        "all=1",
        "sort=created",
        "page=2",
    }
    second = reviewer.get(unescape(nxt))
    assert families(second.text) == ["E", "A"]
    assert ids(second.text)[-1] == made["A2"]["id"]
    assert "Showing 3 to 4 of 4" in text(second.text)
    assert "Next" not in text(second.text) and "Previous page" in text(second.text)
    assert 'aria-current="page">2</a>' in second.text
    # a page past the end shows the last; a page that is not a number, the first
    assert families(reviewer.get("/decisions?all=1&sort=created&headline=H6&page=9").text) == [
        "E",
        "A",
    ]
    assert families(reviewer.get("/decisions?all=1&sort=created&page=x").text) == ["A", "B"]


def test_page_numbers_leave_gaps_in_a_long_list():
    assert queue.page_numbers(1, 1) == [1]
    assert queue.page_numbers(1, 3) == [1, 2, 3]
    assert queue.page_numbers(5, 10) == [1, None, 4, 5, 6, None, 10]
    assert queue.page_numbers(10, 10) == [1, None, 9, 10]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("assessed_from=2019-02-30", "assessed_from", "Assessed from must be a real date"),
        ("created_to=yesterday", "created_to", "Created to must be a real date"),
        ("assessed_to=2019-3-1", "assessed_to", "Assessed to must be a real date"),
        ("headline=H9", "headline", "Choose a headline from the list"),
        ("outcome=maybe", "outcome", "Choose an outcome from the list"),
        ("status=yes", "status", "Choose an automated result from the list"),
        ("review_status=pending", "review_status", "Choose a review status from the list"),
        ("ruleset=national@1999.1", "ruleset", "Choose a ruleset version from the list"),
        ("sort=size", "sort", "Choose an order from the list"),
        (f"family_ref={'x' * 201}", "family_ref", "Family reference must be 200 characters"),
        (
            "created_from=2019-05-01&created_to=2019-04-01",
            "created_to",
            "Created to must be the same as or after created from",
        ),
    ],
)
def test_a_bad_filter_gives_the_error_summary_and_no_results(
    reviewer, made, store, query, field, message
):
    r = reviewer.get(f"/decisions?{query}")
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    summary = r.text.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert f'<a href="#{field}">{message}' in unescape(summary)
    assert f'id="{field}-error"' in r.text  # and against the field itself
    assert "<title>Error: Work queue" in r.text
    assert ids(r.text) == [] and "govuk-table" not in r.text
    [row] = store.list_audit(action="request.rejected")[0]
    assert (row["status"], row["detail"]) == (400, "invalid-query")
    assert not store.list_audit(action="decision.list")[0]


def test_the_view_is_audited_with_the_filters_names_and_the_ids_shown(reviewer, made, store, keys):
    r = reviewer.get("/decisions?family_ref=C&outcome=not_eligible&sort=created")
    assert r.status_code == 200
    [row] = store.list_audit(action="decision.list")[0]
    assert row["status"] == 200
    assert row["detail"] == (
        f"page filters=family_ref,latest,outcome returned=1 ids={made['C']['id']}"
    )
    assert row["actor"] == store.authenticate(keys["reviewer"]).client_id
    reviewer.get("/decisions?all=1&STK-2019-000123=1")  # a name that is not a filter
    newest = store.list_audit(action="decision.list")[0][0]["detail"]
    assert newest.startswith("page returned=6 ids=")
    assert "STK" not in newest and "=C " not in newest


def test_a_policy_officer_may_not_see_the_queue(browser, made):
    r = browser("policy_officer").get("/decisions")
    assert r.status_code == 403
    assert "Not allowed for this role" in r.text
    assert ids(r.text) == []


def test_an_admin_sees_the_queue(browser, made):
    assert families(browser("admin").get("/decisions").text) == ["A", "E", "D", "C", "B"]


def test_each_row_links_to_the_decision_page_path(app):
    """By `pages.decision`'s URL once that page exists, by its path until then: the same."""
    with app.test_request_context():
        assert queue.decision_link("abc") == "/decisions/abc"


def test_dates_are_written_as_people_write_them_in_englands_time():
    assert human_date("2019-03-31") == "31 March 2019"
    assert human_when("2026-12-02T14:05:59.123456Z") == "2 December 2026 at 14:05"
    assert human_when("2026-07-02T14:05:59Z") == "2 July 2026 at 15:05"  # British Summer Time
