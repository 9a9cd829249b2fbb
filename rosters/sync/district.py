"""
The district sync engine: a whole district read with its district-app token, applied all or nothing.

Two ways to read, one way to apply. `district_snapshot_fetch` reads the district's
schools, teachers, sections (which carry their students and teachers) and students in
pages of CLEVER_DISTRICT_PAGE_SIZE, after noting where the district's event feed stands,
so no change made while it reads is lost. `district_events_fetch` reads only the events
after that position (Clever's Events API) and raises `EventsUnavailable` when Clever cannot
give them, so the caller runs a full sync instead. Both read outside any transaction and
parse records into the client's dataclasses as pages arrive, so memory holds records,
never pages. Both give a `DistrictFetch`: the states the district's records must end in,
and what Clever no longer shares.

`district_apply` makes those states true in one transaction, with the row writers every
engine shares (`rows`, `rosters.teachers`): the same rules as a teacher's sync (soft
removal, archive, restore with the same rows, co-teachers, primary teacher), in
statements that grow with chunks of rows, not with rows. A full snapshot owns every
section of its district: one it no longer lists loses its teachers and enrollments; Library
sections and other districts' are never touched. The feed position is saved in the same
transaction. Events are applied in order and idempotently: a record ends as its latest
event in the batch says, which is what applying them one by one would leave, and applying
a batch twice changes nothing. How to run it: docs/district-sync.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import clever, districts, selectors
from ..models import DistrictToken, Section, Sharing, Teacher
from ..teachers import teachers_district_upsert, teachers_ensure, teachers_school_renamed
from ..upserts import pks_by_clever_id
from . import rows
from .rows import SyncCounts

# Clever keeps 30 days of events. A position older than this may have lost some off the
# start of the feed, which Clever may not say (clever-api.md, section 9): sync in full.
POSITION_MAX_AGE = timedelta(days=29)

# The fields of each kind the product keeps. An update whose previous_attributes name none
# of them changes nothing here and is skipped.
KEPT_FIELDS = {
    "schools": frozenset({"name"}),
    "teachers": frozenset({"name", "email", "title", "district", "school"}),
    "students": frozenset({"name", "grade"}),
    "sections": frozenset(
        {"name", "subject", "grade", "period", "section_number", "school", "district"}
        | {"teacher", "teachers", "students"}
    ),
}
ACTIONS = ("created", "updated", "deleted")


class EventsUnavailable(Exception):
    """Clever cannot give the district's changes since its position; a full sync must replace them."""


@dataclass(frozen=True)
class EventPosition:
    """Where a district's event feed stood: after `event_id` ("" when the feed had no event yet), if `known`."""

    known: bool
    event_id: str = ""

    @classmethod
    def of(cls, district: DistrictToken) -> EventPosition:
        return cls(known=district.event_position_known, event_id=district.last_event_id)


@dataclass(frozen=True)
class DistrictChanges:
    """The states a district's records must end in, and what Clever no longer shares."""

    complete: bool  # a full snapshot: the district's sections it does not list are retired
    school_names: dict[str, str]  # school id -> name, for the teachers' rows
    teachers: tuple[clever.Teacher, ...]
    sections: tuple[clever.Section, ...]
    students: tuple[clever.Student, ...]
    removed_sections: frozenset[str] = frozenset()
    removed_teachers: frozenset[str] = frozenset()
    removed_students: frozenset[str] = frozenset()
    renamed_schools: dict[str, str] = field(default_factory=dict)  # events: schools Clever renamed


@dataclass(frozen=True)
class DistrictFetch:
    """A complete read of a district (full) or of its events since `start`, ready to apply."""

    district_id: str
    full: bool
    changes: DistrictChanges
    start: EventPosition  # the position the read began from (an incremental sync applies only if it is unchanged)
    position: EventPosition  # where the feed stands once this is applied
    records: int  # records (full) or events (incremental) read
    http_calls: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DistrictApplied:
    counts: SyncCounts
    applied: bool  # False: another sync moved the district's position meanwhile; nothing was written


class _DryRun(Exception):
    pass


def district_client(*, token: str, throttle: clever.Throttle | None = None) -> clever.CleverClient:
    """Return a client for a district-app token that pages through lists CLEVER_DISTRICT_PAGE_SIZE at a time."""
    return clever.CleverClient(
        token=token, paginate=True, page_size=settings.CLEVER_DISTRICT_PAGE_SIZE, throttle=throttle
    )


# --- Full snapshot ----------------------------------------------------------------------------------


def district_snapshot_fetch(*, client: clever.CleverClient, district_id: str, start: EventPosition) -> DistrictFetch:
    """Read the whole district; raise a CleverError if any page fails.

    The event feed's position is read first: a change made while the lists are read is
    then in the events after it, and the next incremental sync applies it again.
    """
    calls_before = client.calls
    position, notes = _feed_position(client, start)
    schools = {school.id: school.name for school in client.schools()}
    teachers = tuple(client.teachers())
    sections = tuple(client.sections())
    referenced = {student_id for section in sections for student_id in section.student_ids}
    students, listed = [], 0
    for student in client.students():
        listed += 1
        if student.id in referenced:  # store only the students the product shows: those in a class
            students.append(student)
    return DistrictFetch(
        district_id=district_id,
        full=True,
        changes=DistrictChanges(
            complete=True, school_names=schools, teachers=teachers, sections=sections, students=tuple(students)
        ),
        start=start,
        position=position,
        records=len(schools) + len(teachers) + len(sections) + listed,
        http_calls=client.calls - calls_before,
        notes=notes,
    )


def _feed_position(client: clever.CleverClient, start: EventPosition) -> tuple[EventPosition, tuple[str, ...]]:
    """Return where the district's event feed stands now (its newest event), and a note if it cannot be read.

    From the known position when Clever still has it (fewer pages), else from the start.
    """
    try:
        if start.known and start.event_id:
            try:
                newest = _newest_event_id(client, after=start.event_id)
                if newest == start.event_id:
                    client.event(start.event_id)  # nothing after it, or Clever no longer has it?
                return EventPosition(known=True, event_id=newest), ()
            except (clever.CleverNotFound, clever.CleverBadRequest):
                pass  # Clever no longer has that event: read the feed from its start
        return EventPosition(known=True, event_id=_newest_event_id(client, after="")), ()
    except clever.CleverError as exc:
        # Events off for the app (Clever's dashboard), the feed failing, or a token that will
        # fail the lists too: the snapshot is still good, only the next sync cannot use events.
        note = f"Clever's Events API did not answer ({exc.describe()}): no event position, so the next sync is full."
        return EventPosition(known=False), (note,)


def _newest_event_id(client: clever.CleverClient, *, after: str) -> str:
    newest = after
    for event_id in client.event_ids(starting_after=after):
        newest = event_id
    return newest


# --- Events --------------------------------------------------------------------------------------


def district_events_fetch(
    *,
    client: clever.CleverClient,
    district_id: str,
    start: EventPosition,
    positioned_at: datetime | None,
    now: datetime,
) -> DistrictFetch:
    """Read the district's events after `start` and the records they need; raise EventsUnavailable for a full sync.

    `positioned_at` is when `start` was recorded (the district's last sync). Raise a
    CleverError when Clever fails otherwise (unreachable, rate limited, unreadable).
    """
    if not start.known:
        raise EventsUnavailable("no event position is recorded yet (a full sync records one)")
    if positioned_at is None or now - positioned_at > POSITION_MAX_AGE:
        raise EventsUnavailable("the last sync is older than the 30 days of events Clever keeps")
    calls_before = client.calls
    latest: dict[tuple[str, str], clever.Event] = {}  # the latest event of each record, in feed order
    read = other_kinds = unkept = 0
    newest = start.event_id
    try:
        for event in client.events(starting_after=start.event_id):
            read += 1
            newest = event.id
            if event.record is None or event.action not in ACTIONS:
                other_kinds += 1  # courses, terms, contacts, admins, districts: not kept here
            elif (
                event.action == "updated"
                and event.changed_fields is not None
                and not (event.changed_fields & KEPT_FIELDS[event.record_type])
            ):
                unkept += 1  # nothing the product keeps changed
            else:
                key = (event.record_type, event.record.id)
                latest.pop(key, None)
                latest[key] = event
        if start.event_id:
            # Clever still has our position, so the events read are those after it (a forgotten
            # position may be answered with an empty or a first page: clever-api.md, section 9).
            client.event(start.event_id)
    except (clever.CleverNotFound, clever.CleverBadRequest, clever.CleverUnauthorized) as exc:
        after = f"event {start.event_id}" if start.event_id else "the start of the feed"
        raise EventsUnavailable(f"Clever could not give the events after {after} ({exc.describe()})") from exc
    changes = _changes_from_events(client, latest.values())
    notes = [f"{read} events read, {len(latest)} records changed"]
    if other_kinds or unkept:
        notes.append(f"skipped {other_kinds} events of kinds not kept here and {unkept} changing no field kept here")
    return DistrictFetch(
        district_id=district_id,
        full=False,
        changes=changes,
        start=start,
        position=EventPosition(known=True, event_id=newest),
        records=read,
        http_calls=client.calls - calls_before,
        notes=tuple(notes),
    )


def _changes_from_events(client: clever.CleverClient, events) -> DistrictChanges:
    """Turn each record's latest event into the states to apply; read from Clever what they name and we lack."""
    kept = {kind: {} for kind in KEPT_FIELDS}
    removed = {kind: set() for kind in KEPT_FIELDS}
    for event in events:
        if event.action == "deleted":
            removed[event.record_type].add(event.record.id)
        else:
            kept[event.record_type][event.record.id] = event.record
    sections = tuple(kept["sections"].values())
    teachers = dict(kept["teachers"])
    students = dict(kept["students"])
    renamed = {school_id: school.name for school_id, school in kept["schools"].items()}

    # Records the changed sections name that neither the batch nor the database has: a
    # student enrolled now who was in no class at the last sync, a teacher shared later.
    wanted_students = {i for s in sections for i in s.student_ids} - students.keys() - removed["students"]
    for student_id in sorted(wanted_students - selectors.students_known(clever_ids=wanted_students)):
        if (student := _read_or_none(client.student, student_id)) is not None:
            students[student_id] = student
    wanted_teachers = {i for s in sections for i in _teacher_ids(s)} - teachers.keys() - removed["teachers"]
    for teacher_id in sorted(wanted_teachers - selectors.teachers_known(clever_ids=wanted_teachers)):
        if (teacher := _read_or_none(client.teacher, teacher_id)) is not None:
            teachers[teacher_id] = teacher
    school_ids = {teacher.school_id for teacher in teachers.values() if teacher.school_id}
    names = selectors.school_names(school_ids=school_ids - renamed.keys()) | renamed
    for school_id in sorted(school_ids - names.keys()):
        if (school := _read_or_none(client.school, school_id)) is not None:
            names[school_id] = school.name
    return DistrictChanges(
        complete=False,
        school_names=names,
        teachers=tuple(teachers.values()),
        sections=sections,
        students=tuple(students.values()),
        removed_sections=frozenset(removed["sections"]),
        removed_teachers=frozenset(removed["teachers"]),
        removed_students=frozenset(removed["students"]),
        renamed_schools=renamed,
    )


def _read_or_none(read, record_id: str):
    try:
        return read(record_id)
    except clever.CleverNotFound:
        return None  # not shared with us any more: the record is left out


def _teacher_ids(section: clever.Section) -> set[str]:
    return set(section.teacher_ids) | ({section.teacher_id} if section.teacher_id else set())


# --- Apply ----------------------------------------------------------------------------------------


def district_apply(*, district_pk: int, fetched: DistrictFetch, dry_run: bool = False) -> DistrictApplied:
    """Apply a district's fetch in one transaction, with its feed position; return what changed.

    An incremental fetch is applied only if the district's position is still the one it
    read from: another sync that moved it meanwhile applied newer states, which older
    events must not overwrite. With `dry_run`, everything is computed, then rolled back.
    """
    return rows.apply_retrying(
        lambda: _apply_once(district_pk=district_pk, fetched=fetched, dry_run=dry_run),
        what=f"district {fetched.district_id}",
    )


def _apply_once(*, district_pk: int, fetched: DistrictFetch, dry_run: bool) -> DistrictApplied:
    counts = SyncCounts()
    try:
        with transaction.atomic():
            now = timezone.now()
            district = districts.district_lock(district_pk=district_pk)  # one apply per district at a time
            if not fetched.full and EventPosition.of(district) != fetched.start:
                return DistrictApplied(counts=counts, applied=False)
            _apply_changes(fetched.changes, district_id=district.district_id, now=now, counts=counts)
            districts.district_sync_state_save(
                district_pk=district_pk,
                full=fetched.full,
                last_event_id=fetched.position.event_id,
                event_position_known=fetched.position.known,
                synced_at=timezone.now(),  # after every row it wrote: a teacher's row is never newer
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return DistrictApplied(counts=counts, applied=True)


def _apply_changes(changes: DistrictChanges, *, district_id: str, now: datetime, counts: SyncCounts) -> None:
    teacher_pks = teachers_district_upsert(teachers=changes.teachers, school_names=changes.school_names, counts=counts)
    if changes.renamed_schools:
        teachers_school_renamed(school_names=changes.renamed_schools)
    section_pks = rows.sections_upsert(sections=changes.sections, counts=counts)

    # Students: those in a class, and those we already hold (a new name, an archived student).
    # Which are held needs asking only of those not in both lists (none, for a full snapshot).
    referenced = {student_id for section in changes.sections for student_id in section.student_ids}
    listed = {student.id for student in changes.students}
    student_pks = rows.student_pks(clever_ids=referenced ^ listed)
    student_pks |= rows.students_upsert(
        students=[s for s in changes.students if s.id in referenced or s.id in student_pks],
        counts=counts,
        activate=False,
    )

    # Teachers of the sections: every one Clever names, a placeholder row for any it did not list.
    named = {teacher_id for section in changes.sections for teacher_id in _teacher_ids(section)}
    if missing := named - teacher_pks.keys():
        teacher_pks |= teachers_ensure(clever_ids=missing, sharing=Sharing.DISTRICT, district_id=district_id)
    rows.section_teachers_sync(
        links={
            (section_pks[section.id], teacher_pks[teacher_id]): teacher_id == section.teacher_id
            for section in changes.sections
            for teacher_id in _teacher_ids(section)
        },
        section_pks=section_pks.values(),
    )
    enrolled = {
        (section_pks[section.id], student_pks[student_id])
        for section in changes.sections
        for student_id in section.student_ids
        if student_id in student_pks  # a student Clever names but no longer shares is left out
    }
    rows.enrollments_sync(enrolled=enrolled, section_pks=section_pks.values(), now=now, counts=counts)
    rows.district_students_activate(district_id=district_id)

    # What Clever no longer shares.
    retired = set(pks_by_clever_id(Section, changes.removed_sections).values())
    if changes.complete:
        retired |= selectors.district_section_pks(district_id=district_id) - set(section_pks.values())
    if retired:
        counts.removed += rows.sections_retire(section_pks=retired, now=now)
    if changes.removed_teachers:
        gone = pks_by_clever_id(Teacher, changes.removed_teachers).values()
        counts.removed += rows.teachers_unlink(teacher_pks=list(gone), district_id=district_id, now=now)
    if changes.removed_students:
        gone = rows.student_pks(clever_ids=changes.removed_students).values()
        counts.removed += rows.students_unenroll(student_pks=list(gone), district_id=district_id, now=now)
