"""What names and describes a version that changed: its id, start date, description and
the documents it cites."""

from __future__ import annotations

from collections.abc import Iterator

from ...ruleset import Ruleset
from .changes import Change
from .wording import text_change


def metadata_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """The id, effective date, description and sources that changed."""
    if old.id != new.id:
        text = f"Ruleset id changed from {old.id} to {new.id}."
        yield Change("changed", "metadata", "ruleset", "id", old.id, new.id, text)
    if old.effective_from != new.effective_from:
        yield Change(
            "changed",
            "metadata",
            "effective_from",
            "effective_from",
            old.effective_from,
            new.effective_from,
            f"Takes effect from {new.effective_from.isoformat()} instead of "
            f"{old.effective_from.isoformat()}.",
        )
    if old.description != new.description:
        yield Change(
            "changed",
            "metadata",
            "description",
            "description",
            old.description,
            new.description,
            f"Description {text_change(old.description, new.description)}.",
        )
    yield from _source_changes(old.sources, new.sources)


def _source_changes(old: tuple[str, ...], new: tuple[str, ...]) -> Iterator[Change]:
    """Each document now cited, then each no longer cited."""
    for source in new:
        if source not in old:
            text = f'Now cites "{source}".'
            yield Change("added", "metadata", "sources", "sources", None, source, text)
    for source in old:
        if source not in new:
            text = f'No longer cites "{source}".'
            yield Change("removed", "metadata", "sources", "sources", source, None, text)
