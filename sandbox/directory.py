"""
The sandbox's users, grouped the way its sign-in, portal and index pages list them.

Districts, then each school's teachers, students and admins, then the Clever Library.
Long lists are cut short (a 100,000-student roster still renders); anyone can also be
chosen by typing their Clever id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .roster import USER_TYPES, Roster, is_library
from .state import Sandbox

SHOWN_PER_GROUP = 200


@dataclass
class Person:
    id: str
    name: str
    type: str  # teacher, student, school_admin, district_admin
    detail: str = ""


@dataclass
class Group:
    title: str
    people: list[Person] = field(default_factory=list)
    more: int = 0  # how many were left out


@dataclass
class Block:
    title: str
    subtitle: str
    groups: list[Group]


def type_label(user_type: str) -> str:
    return {
        "teacher": _("Teacher"),
        "student": _("Student"),
        "school_admin": _("School admin"),
        "district_admin": _("District admin"),
    }[user_type]


def directory(sandbox: Sandbox, *, district_id: str = "", per_group: int = SHOWN_PER_GROUP) -> list[Block]:
    """Return the users to list, by district and school, then the Library (unless narrowed to a district)."""
    with sandbox.lock:
        roster = sandbox.roster
        blocks = []
        for did in roster.ids("districts"):
            if district_id and did != district_id:
                continue
            district = roster.get("districts", did)
            schools = [roster.get("schools", i) for i in roster.in_district("schools", did)]
            groups = []
            # Teachers first (whom the sandbox is mostly for), then students, then admins.
            for title, kind in ((_("Teachers"), "teachers"), (_("Students"), "students")):
                for school in schools:
                    ids = [
                        i
                        for i in roster.in_school(kind, school["id"])
                        if roster.get(kind, i)["school"] == school["id"]
                    ]
                    groups.append(_group(roster, f"{school['name']} · {title}", kind, ids, per_group))
            for school in schools:
                admins = [
                    i
                    for i in roster.in_district("school_admins", did)
                    if school["id"] in roster.get("school_admins", i)["schools"]
                ]
                groups.append(_group(roster, f"{school['name']} · {_('School admins')}", "school_admins", admins))
            admins = roster.in_district("district_admins", did)
            groups.append(_group(roster, _("District admins"), "district_admins", admins))
            blocks.append(Block(title=district["name"], subtitle=did, groups=[g for g in groups if g.people]))
        if not district_id:
            groups = []
            for title, kind in ((_("Teachers"), "teachers"), (_("Students"), "students")):
                ids = [i for i in roster.ids(kind) if is_library(roster.get(kind, i))]
                groups.append(_group(roster, title, kind, ids, per_group))
            groups = [g for g in groups if g.people]
            if groups:
                blocks.append(
                    Block(title=_("Clever Library"), subtitle=_("Teacher-shared: no district"), groups=groups)
                )
        return blocks


def _group(roster: Roster, title: str, kind: str, ids: list[str], per_group: int = SHOWN_PER_GROUP) -> Group:
    people = []
    for user_id in ids[:per_group]:
        record = roster.get(kind, user_id)
        name = record.get("name") or {}
        full = " ".join(part for part in (name.get("first"), name.get("last")) if part) or user_id
        detail = record.get("title") or (
            _("grade %(grade)s") % {"grade": record["grade"]} if record.get("grade") else ""
        )
        people.append(Person(id=user_id, name=full, type=USER_TYPES[kind], detail=detail or ""))
    return Group(title=title, people=people, more=max(0, len(ids) - per_group))
