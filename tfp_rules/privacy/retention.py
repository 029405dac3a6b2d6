"""Retention by record type: which personal data is past its period, and removing it.

The periods are configuration (`config/retention.yaml`, each a named parameter with its
source; `load_policy`). The rule is chosen per family, never per record, so a family still
being supported keeps the entry decision its progress checks rest on:

- a family with a results claim in force: `claimed`, from the claim (or a later record);
- else a family any of whose decisions has eligible as the outcome in force:
  `eligible_unclaimed`, from its newest decision or progress decision (its case is taken as
  closed when nothing has been recorded for that long);
- else: `not_eligible`, from its newest decision.

A family past its period loses its personal content everywhere and keeps tombstones
(`Store.erase_expired_family`). Idempotency keys, ended sessions and jobs' personal parts
are purged by age; research extracts are destroyed by `research.destroy_extracts` after
`research.RESEARCH_RETENTION`; audit rows are kept (see the file).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta

from ..errors import TfpError
from ..store import MAX_IDEMPOTENCY_LIFETIME, FamilyActivity, Store
from ..store.listing import timestamp
from .research import RESEARCH_RETENTION, Destruction, destroy_extracts

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "retention.yaml"
CONFIG_ENV = "TFP_RETENTION_CONFIG"
FAMILY_RULES = ("not_eligible", "eligible_unclaimed", "claimed")
PURGES = ("idempotency", "sessions", "job_personal")
PERIODS = (*FAMILY_RULES, *PURGES, "research_extracts", "audit")
_PERIOD = re.compile(r"^([1-9][0-9]{0,4}) (hour|day|month|year)s?$")


class RetentionConfigError(TfpError):
    """The retention configuration is missing, malformed, or sets a period it may not."""


@dataclass(frozen=True)
class Period:
    """One named retention period: how long (`delta`; None keeps for ever), as written,
    what it applies to and where the figure comes from."""

    name: str
    delta: relativedelta | None
    text: str
    applies_to: str
    source: str


@dataclass(frozen=True)
class RetentionPolicy:
    """The periods by name (every one of PERIODS) and the file they came from."""

    periods: dict[str, Period]
    path: Path

    def cutoff(self, name: str, as_of: datetime) -> str:
        """The store timestamp at or before which a record under `name` is past its period."""
        delta = self.periods[name].delta
        assert delta is not None
        return timestamp(as_of - delta)


def parse_period(text: str) -> relativedelta:
    """`"12 months"` as a relativedelta; ValueError for anything else."""
    m = _PERIOD.match(str(text).strip())
    if not m:
        raise ValueError(f"a period is '<n> hours|days|months|years', not {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    return relativedelta(**{f"{unit}s": n})


def load_policy(path: Path | None = None) -> RetentionPolicy:
    """The retention policy from `path`, $TFP_RETENTION_CONFIG or the shipped defaults."""
    path = path or Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RetentionConfigError(f"{path}: cannot read the retention policy: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("periods"), dict):
        raise RetentionConfigError(f"{path}: expected a mapping with 'periods'")
    given: dict[str, Any] = document["periods"]
    missing = [n for n in PERIODS if n not in given]
    unknown = [n for n in given if n not in PERIODS]
    if missing or unknown:
        raise RetentionConfigError(
            f"{path}: periods missing: {', '.join(missing) or 'none'};"
            f" unknown: {', '.join(unknown) or 'none'}"
        )
    periods = {}
    for name in PERIODS:
        entry = given[name]
        if not isinstance(entry, dict) or not entry.get("source") or not entry.get("applies_to"):
            raise RetentionConfigError(f"{path}: {name}: give applies_to and source")
        periods[name] = Period(
            name, *_delta(path, name, entry), entry["applies_to"], entry["source"]
        )
    return RetentionPolicy(periods, path)


def _delta(path: Path, name: str, entry: dict[str, Any]) -> tuple[relativedelta | None, str]:
    text = entry.get("period")
    if name == "research_extracts":
        if text is not None:
            raise RetentionConfigError(
                f"{path}: research_extracts: no period here: the privacy notice's five years"
                " are research.RESEARCH_RETENTION"
            )
        return RESEARCH_RETENTION, "5 years (research.RESEARCH_RETENTION)"
    if name == "audit":
        if text != "keep":
            raise RetentionConfigError(f"{path}: audit: 'keep': a chained row is never removed")
        return None, "keep"
    try:
        delta = parse_period(text)
    except ValueError as exc:
        raise RetentionConfigError(f"{path}: {name}: {exc}") from exc
    probe = datetime(2000, 1, 1, tzinfo=UTC)
    if name == "idempotency" and probe + delta < probe + MAX_IDEMPOTENCY_LIFETIME:
        raise RetentionConfigError(
            f"{path}: idempotency: at least the longest idempotency lifetime"
            f" ({MAX_IDEMPOTENCY_LIFETIME}), so no retry loses its answer"
        )
    return delta, text


def family_rule(activity: FamilyActivity, policy: RetentionPolicy) -> tuple[str, datetime]:
    """The rule that governs the family and the moment its period ends."""
    last = datetime.fromisoformat(activity.last_activity)
    if activity.claimed_at is not None:
        rule, since = "claimed", max(last, datetime.fromisoformat(activity.claimed_at))
    elif activity.eligible:
        rule, since = "eligible_unclaimed", last
    else:
        rule, since = "not_eligible", last
    delta = policy.periods[rule].delta
    assert delta is not None
    return rule, since + delta


@dataclass
class RetentionReport:
    """What one run did (or, dry, would do): families erased per rule, records per type,
    and each research extract's destruction."""

    as_of: str
    dry_run: bool
    families: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAMILY_RULES, 0))
    counts: dict[str, int] = field(default_factory=dict)
    extracts: list[Destruction] = field(default_factory=list)

    def add(self, counts: dict[str, int]) -> None:
        for key, n in counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    def lines(self) -> list[str]:
        """The report as `tfp retention apply` prints it: one line per record type."""
        verb = "would remove" if self.dry_run else "removed"
        out = [f"retention as of {self.as_of}{' (dry run)' if self.dry_run else ''}"]
        for rule, n in self.families.items():
            out.append(f"families past {rule}: {n}")
        for kind, n in self.counts.items():
            out.append(f"{kind}: {verb} {n}")
        destroyed = sum(1 for d in self.extracts if d.action != "refused")
        out.append(
            f"research_extracts: {'would destroy' if self.dry_run else 'destroyed'} {destroyed}"
        )
        out.extend(
            f"refused: extract {d.extract.id}: {d.note}"
            for d in self.extracts
            if d.action == "refused"
        )
        return out


def apply_retention(
    store: Store,
    policy: RetentionPolicy,
    *,
    actor: str,
    as_of: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Remove everything past its period as of `as_of` (default: the store's clock; a time
    later than that is refused unless `dry_run`, so nothing goes before its period).
    Audited as `retention.apply` (counts only), unless a dry run."""
    now = store.research_now()
    as_of = as_of or now
    if as_of > now and not dry_run:
        raise ValueError("a retention run as of a later time than now must be a dry run")
    report = RetentionReport(timestamp(as_of), dry_run)
    report.add(dict.fromkeys(("decisions", "progress", "claims"), 0))
    for activity in store.family_activity():
        rule, ends = family_rule(activity, policy)
        if ends <= as_of:
            report.families[rule] += 1
            report.add(
                store.erase_expired_family(
                    activity.family_ref, rule=rule, actor=actor, dry_run=dry_run
                )
            )
    report.add(
        {
            "idempotency": store.purge_idempotency_before(
                policy.cutoff("idempotency", as_of), dry_run=dry_run
            ),
            "sessions": store.drop_sessions_ended_before(
                policy.cutoff("sessions", as_of), dry_run=dry_run
            ),
            "job_personal": store.clear_jobs_personal_before(
                policy.cutoff("job_personal", as_of), dry_run=dry_run
            ),
        }
    )
    lag = now - as_of if as_of < now else timedelta(0)
    report.extracts = destroy_extracts(
        store, RESEARCH_RETENTION + lag, actor=actor, dry_run=dry_run
    )
    if not dry_run:
        store.record_retention(actor=actor, counts=report.counts, as_of=report.as_of)
    return report
