"""
The differences between two states of the sandbox's roster, as Clever's Events API reports them.

`roster_changes` compares the records kind by kind through dicts keyed by id, so it is O(n)
in the number of records; records that are the very same object in both states are skipped
without being compared (the sandbox replaces a record when it changes, never edits it in
place). A record that moves to another district is deleted from the old district's feed and
created in the new one's; Library records (no district) have no feed.

The changes come in the order a consumer can apply them one by one (docs/sandbox-events.md):
creations first, parents before what names them (districts, schools, admins, teachers,
students, then sections, so a section never arrives before its members), then updates in the
same order, then deletions in the reverse order (sections before the students, teachers and
schools they name). Within a kind, ascending ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

# Parents first: a record only names records of the kinds before it.
APPLY_ORDER = ("districts", "schools", "district_admins", "school_admins", "teachers", "students", "sections")
CREATED, UPDATED, DELETED = "created", "updated", "deleted"
# Clever bumps last_modified with every change and does not list it in previous_attributes
# (seen in a recorded real feed), so a change of last_modified alone is no change.
UNREPORTED_FIELDS = frozenset({"last_modified"})

_CREATE_RANK = {kind: rank for rank, kind in enumerate(APPLY_ORDER)}
_DELETE_RANK = {kind: rank for rank, kind in enumerate(reversed(APPLY_ORDER))}
_ACTION_RANK = {CREATED: 0, UPDATED: 1, DELETED: 2}

Records = Mapping[str, Mapping[str, dict]]  # kind -> id -> record, as Roster.records


@dataclass(frozen=True, slots=True)
class Change:
    """One record created, updated or deleted in one district."""

    action: str  # CREATED, UPDATED or DELETED
    kind: str  # the roster's collection name: "students", "school_admins", ...
    district: str
    record: dict  # the record after the change; for a deletion, the record as it was
    previous: dict | None = None  # for an update, the record before it

    def sort_key(self) -> tuple:
        rank = _DELETE_RANK if self.action == DELETED else _CREATE_RANK
        return (_ACTION_RANK[self.action], rank[self.kind], self.record["id"])


def district_of(kind: str, record: dict) -> str:
    """Return the district whose feed a record belongs to ("" for the Library)."""
    return record["id"] if kind == "districts" else record.get("district") or ""


def roster_changes(old: Records, new: Records, *, districts: Collection[str]) -> list[Change]:
    """Return what changed from `old` to `new` in the given districts, in the order to apply it."""
    if not districts:
        return []
    changes: list[Change] = []
    for kind in APPLY_ORDER:
        before, after = old.get(kind, {}), new.get(kind, {})
        for record_id, record in after.items():
            previous = before.get(record_id)
            if previous is record:
                continue
            if previous is None:
                _add(changes, CREATED, kind, record, districts)
                continue
            if not _reportable_difference(previous, record):
                continue
            was, now = district_of(kind, previous), district_of(kind, record)
            if was == now:
                if now in districts:
                    changes.append(Change(UPDATED, kind, now, record, previous))
            else:
                _add(changes, DELETED, kind, previous, districts)
                _add(changes, CREATED, kind, record, districts)
        for record_id, previous in before.items():
            if record_id not in after:
                _add(changes, DELETED, kind, previous, districts)
    changes.sort(key=Change.sort_key)
    return changes


def _add(changes: list[Change], action: str, kind: str, record: dict, districts: Collection[str]) -> None:
    district = district_of(kind, record)
    if district in districts:
        changes.append(Change(action, kind, district, record))


def _reportable_difference(old: dict, new: dict) -> bool:
    if old == new:
        return False
    keys = (old.keys() | new.keys()) - UNREPORTED_FIELDS
    return any(old.get(key, _MISSING) != new.get(key, _MISSING) for key in keys)


def previous_attributes(old: dict, new: dict, *, ignore: frozenset = UNREPORTED_FIELDS) -> dict:
    """Return the old values of what changed: nested objects only down to the changed fields, lists whole.

    As in Clever's recorded feed: ``{"name": {"first": "Ada"}}`` for a first name, the whole
    old ``students`` list for a section's enrollments, null for a field that was absent.
    """
    changed = {}
    for key in sorted((old.keys() | new.keys()) - ignore):
        was, now = old.get(key), new.get(key)
        if was == now and (key in old) == (key in new):
            continue
        both_objects = isinstance(was, dict) and isinstance(now, dict)
        changed[key] = previous_attributes(was, now, ignore=frozenset()) if both_objects else was
    return changed


_MISSING = object()
