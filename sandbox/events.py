"""
The sandbox's Events API feeds: each district's roster changes as Clever's events, oldest first.

`EventLog.record` turns the changes `sandbox.diff` finds into events and appends each to its
district's feed. Event ids are 24 hex digits shaped like Clever's ObjectIds: the second the
event was recorded (8 hex, never going backwards) then a counter (16 hex), so they ascend and
sort as strings. `forget` drops a feed's oldest events (Clever keeps 30 days), so a consumer's
cursor can name an event the feed no longer has.

The sandbox state owns one log and calls it under its lock; `sandbox.events_api` serves it.
Events hold references to records, never copies: the sandbox replaces a record when it
changes, so a record an event holds stays as it was.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .diff import Change

# The roster's collection names and Clever's record types (no underscore in the admins').
RECORD_TYPES = {
    "districts": "districts",
    "schools": "schools",
    "teachers": "teachers",
    "students": "students",
    "sections": "sections",
    "school_admins": "schooladmins",
    "district_admins": "districtadmins",
}
# Every record_type Clever's v2.0 Events API documents; the sandbox has no contacts, courses or terms.
CLEVER_RECORD_TYPES = (*RECORD_TYPES.values(), "contacts", "courses", "terms")


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded change. `record` is the record after it (before it, for a deletion)."""

    id: str
    kind: str
    action: str  # "created", "updated", "deleted"
    at: int  # Unix seconds
    record: dict
    previous: dict | None  # updates: the record before
    schools: frozenset[str]  # the schools it concerns, for the `school` filter

    @property
    def type(self) -> str:
        return f"{RECORD_TYPES[self.kind]}.{self.action}"

    @property
    def record_type(self) -> str:
        return RECORD_TYPES[self.kind]


@dataclass
class Feed:
    """One district's events, oldest first."""

    ids: list[str] = field(default_factory=list)  # ascending
    events: dict[str, Event] = field(default_factory=dict)
    forgotten_through: str = ""  # the newest id forgotten so far ("" when none)

    def drop_first(self, count: int) -> int:
        """Forget the `count` oldest events; return how many went."""
        if count <= 0:
            return 0
        gone, self.ids = self.ids[:count], self.ids[count:]
        for event_id in gone:
            del self.events[event_id]
        if gone:
            self.forgotten_through = max(self.forgotten_through, gone[-1])
        return len(gone)


class EventLog:
    """Every district's feed. Not thread-safe: `sandbox.state.Sandbox` locks."""

    def __init__(self):
        self.feeds: dict[str, Feed] = {}
        self._count = 0
        self._second = 0

    def record(self, changes: list[Change], *, at: float) -> list[Event]:
        """Append one event per change, in the changes' order, all created at `at` (Unix seconds)."""
        self._second = second = max(self._second, int(at))
        recorded = []
        for change in changes:
            self._count += 1
            event = Event(
                id=f"{second:08x}{self._count:016x}",
                kind=change.kind,
                action=change.action,
                at=second,
                record=change.record,
                previous=change.previous,
                schools=_schools(change.kind, change.record) | _schools(change.kind, change.previous),
            )
            feed = self.feeds.setdefault(change.district, Feed())
            feed.ids.append(event.id)
            feed.events[event.id] = event
            recorded.append(event)
        return recorded

    def feed(self, district_id: str) -> Feed:
        """Return a district's feed (an empty one when nothing was recorded for it)."""
        return self.feeds.get(district_id) or Feed()

    def drop_district(self, district_id: str) -> None:
        """Forget a district's feed (it left the roster: its token no longer works)."""
        self.feeds.pop(district_id, None)

    def forget(self, *, through: str = "", before: float | None = None, district_id: str = "") -> int:
        """Forget events: those up to and including id `through`, or created before `before`, or all.

        Only in one district's feed when `district_id` is given. Return how many were forgotten.
        """
        if district_id:
            feeds = [self.feeds[district_id]] if district_id in self.feeds else []
        else:
            feeds = list(self.feeds.values())
        forgotten = 0
        for feed in feeds:
            if through:
                count = bisect.bisect_right(feed.ids, through)
            elif before is not None:
                count = bisect.bisect_left(feed.ids, before, key=lambda event_id: feed.events[event_id].at)
            else:
                count = len(feed.ids)
            forgotten += feed.drop_first(count)
        return forgotten

    def summary(self) -> dict:
        """Return each district's feed size, first and last ids, and the newest id forgotten."""
        return {
            district_id: {
                "events": len(feed.ids),
                "first": feed.ids[0] if feed.ids else None,
                "last": feed.ids[-1] if feed.ids else None,
                "forgotten_through": feed.forgotten_through or None,
            }
            for district_id, feed in sorted(self.feeds.items())
        }


def _schools(kind: str, record: dict | None) -> frozenset[str]:
    if record is None or kind in ("districts", "district_admins"):
        return frozenset()
    if kind == "schools":
        return frozenset((record["id"],))
    return frozenset(filter(None, (record.get("school"), *(record.get("schools") or ()))))
