"""Erasure (UK GDPR Art. 17) and restriction (Art. 18) of one family's data.

Erasure removes the family's personal content everywhere the store holds it (facts,
traces, review reasons, claim content, idempotency records, the entries of jobs naming it,
a refused request's path quoting its ref, and the family ref itself) and keeps each record
as a tombstone, so statistics and the audit chain stay whole. Afterwards nothing links to
the ref: a subject access export for it finds nothing held, and a read of an erased
decision by id answers its tombstone. Who erased and why is kept in the erasure's record
and its `subject.erase` audit row, never with the ref.

Restriction keeps the data and refuses it to every role but admin (the service checks
`Store.restriction_of` in one place, `service.auth`), and refuses new facts for the family.
"""

from __future__ import annotations

from ..store import ErasureRecord, RestrictionRecord, Store


def erase_family(
    store: Store, family_ref: str, *, reason: str, actor: str, dry_run: bool = False
) -> ErasureRecord | None:
    """Erase everything personal held about the family; None if nothing is held."""
    return store.erase_family(family_ref, erased_by=actor, reason=reason, dry_run=dry_run)


def restrict_family(store: Store, family_ref: str, *, reason: str, actor: str) -> RestrictionRecord:
    """Restrict the family's processing (RestrictionStateError if it already is)."""
    return store.restrict_family(family_ref, restricted_by=actor, reason=reason)


def unrestrict_family(
    store: Store, family_ref: str, *, reason: str, actor: str
) -> RestrictionRecord:
    """Lift the family's restriction (RestrictionStateError if there is none)."""
    return store.unrestrict_family(family_ref, lifted_by=actor, reason=reason)
