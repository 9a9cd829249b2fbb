"""
Generate large rosters for load tests and demos (one district, deterministic for a seed), and
change them at random (deterministic for a seed too) to exercise the Events API and incremental syncs.

    roster = generate_roster(teachers=200, sections_per_teacher=5, students_per_section=100, seed=7)
    get_sandbox().load(roster)                      # 200 teachers, 1,000 sections, 100,000 students
    roster = generate_roster(teachers=1000, sections_per_teacher=5, students_per_section=30, students=30000)
    changed = roster_mutate(roster, changes=100, seed=1)   # a new roster; `roster` is left as it was

Every section gets its own students, so there are teachers x sections_per_teacher x
students_per_section of them, unless `students` is given: then each school has its share of
that many students and its sections take their seats from them in turn (a student sits in
several sections, as in a real school). Ids are 24-hex like Clever's and ascend in creation order.
"""

from __future__ import annotations

import random
from collections import defaultdict

from .roster import DEFAULT_TIMESTAMP, KINDS
from .schema import SUBJECTS_V20

FIRST_NAMES = (
    "Ava", "Noah", "Zoë", "Mateo", "Aisha", "Liam", "Sofía", "Kenji", "Amara", "Elijah", "Chloé", "Omar", "Hana",
    "Lucas", "Nia", "Diego", "Freya", "Malik", "Léa", "Caleb", "Priya", "Jonah", "Zainab", "Rafael", "Ingrid",
    "Yuki", "Gabriel", "Siobhán", "Tomás", "Mei", "Andrés", "Ruby", "Kwame", "Elena", "Finn", "Maya",
)  # fmt: skip
LAST_NAMES = (
    "Rodríguez", "Kim", "Martin", "Johnson", "D'Angelo", "Nguyen", "García", "Patel", "O'Connor", "Smith", "Müller",
    "Okoye", "Brown", "Hernández", "Lee", "Jones", "Ivanova", "Williams", "Dubois", "Yamamoto", "MacLeod", "Silva",
    "Cohen", "Ali", "Kowalski", "Jensen", "Baptiste", "Wright", "Novak", "Moreau", "Núñez", "O'Brien",
)  # fmt: skip
GRADES = ("Kindergarten", *(str(n) for n in range(1, 13)))
_PREFIX = {"districts": 0xA1, "schools": 0xA2, "teachers": 0xA3, "sections": 0xA4, "students": 0xA5}


def generate_roster(
    *,
    teachers: int,
    sections_per_teacher: int,
    students_per_section: int,
    seed: int = 0,
    schools: int | None = None,
    library_teachers: int = 0,
    students: int | None = None,
) -> dict:
    """Return a roster (the sandbox's JSON format) of one district; the same arguments give the same roster."""
    if min(teachers, sections_per_teacher, students_per_section) < 0 or library_teachers < 0:
        raise ValueError("counts cannot be negative")
    if students is not None and students < 0:
        raise ValueError("counts cannot be negative")
    rng = random.Random(seed)  # noqa: S311 - made-up names, not secrets
    ids = _Ids(seed)
    district_id = ids.next("districts")
    school_count = schools or max(1, -(-teachers // 25))
    school_ids = [ids.next("schools") for _ in range(school_count)]
    roster = {
        "districts": [
            {
                "id": district_id,
                "name": f"Generated District {seed}",
                "state": "running",
                "sis_type": "sftp",
                "error": "",
            }
        ],
        "schools": [
            {
                "id": school_id,
                "district": district_id,
                "name": f"School {n + 1}",
                "school_number": str(n + 1),
                "sis_id": f"SCH-{n + 1}",
                "low_grade": "Kindergarten",
                "high_grade": "12",
            }
            for n, school_id in enumerate(school_ids)
        ],
        "teachers": [],
        "students": [],
        "sections": [],
    }
    pools = _student_pools(rng, ids, roster, students, school_ids) if students is not None else None
    for n in range(teachers + library_teachers):
        library = n >= teachers
        school_id = school_ids[n % school_count]
        teacher_id = ids.next("teachers")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        teacher = {"id": teacher_id, "name": {"first": first, "middle": "", "last": last}}
        teacher["email"] = f"teacher{n + 1}@generated.example" if rng.random() > 0.05 else None
        if not library:
            teacher |= {"district": district_id, "school": school_id, "sis_id": f"T{n + 1}", "title": "Teacher"}
        roster["teachers"].append(teacher)
        for s in range(sections_per_teacher):
            grade = rng.choice(GRADES)
            section_id = ids.next("sections")
            student_ids = []
            if pools is not None and not library:
                student_ids = pools[school_id].take(students_per_section)
            else:
                for _ in range(students_per_section):
                    student_id = ids.next("students")
                    student_ids.append(student_id)
                    roster["students"].append(
                        _student(rng, student_id, grade, None if library else (district_id, school_id))
                    )
            subject = rng.choice(SUBJECTS_V20)
            section = {
                "id": section_id,
                "name": f"{subject.title()} - {last} - {s + 1}",
                "subject": subject,
                "grade": grade,
                "period": str(s + 1),
                "section_number": str(s + 1),
                "teachers": [teacher_id],
                "students": student_ids,
            }
            if not library:
                section |= {"district": district_id, "school": school_id, "sis_id": f"SEC-{section_id[-8:]}"}
            roster["sections"].append(section)
    return roster


class _Pool:
    """One school's students, handed out in turn so that a section never has anyone twice."""

    def __init__(self):
        self.ids: list[str] = []
        self.next = 0

    def take(self, count: int) -> list[str]:
        count = min(count, len(self.ids))
        taken = [self.ids[(self.next + k) % len(self.ids)] for k in range(count)]
        self.next = (self.next + count) % max(1, len(self.ids))
        return taken


def _student_pools(rng: random.Random, ids: _Ids, roster: dict, students: int, school_ids: list[str]) -> dict:
    """Add `students` district students, spread over the schools; return each school's pool."""
    district_id = roster["districts"][0]["id"]
    pools = defaultdict(_Pool)
    for n in range(students):
        school_id = school_ids[n % len(school_ids)]
        student_id = ids.next("students")
        pools[school_id].ids.append(student_id)
        roster["students"].append(_student(rng, student_id, rng.choice(GRADES), (district_id, school_id)))
    return pools


def _student(rng: random.Random, student_id: str, grade: str, where: tuple[str, str] | None) -> dict:
    student = {
        "id": student_id,
        "name": {"first": rng.choice(FIRST_NAMES), "middle": "", "last": rng.choice(LAST_NAMES)},
        "grade": grade,
    }
    if where is None:
        return student
    district_id, school_id = where
    number = str(int(student_id[-10:], 16))
    return student | {
        "district": district_id,
        "school": school_id,
        "sis_id": number,
        "student_number": number,
        "gender": rng.choice(("M", "F", "X", "")),
        "dob": f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(2007, 2019)}",
        "created": DEFAULT_TIMESTAMP,
        "credentials": {"district_username": f"s{number}"},
    }


class _Ids:
    """24-hex ids: kind (2 hex), seed (6 hex), then a counter (16 hex), so they ascend and never collide."""

    def __init__(self, seed: int):
        self.seed = seed & 0xFFFFFF
        self.counters = dict.fromkeys(_PREFIX, 0)

    def next(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{_PREFIX[kind]:02x}{self.seed:06x}{self.counters[kind]:016x}"


# --- Random changes -----------------------------------------------------------------------

MUTATION_TIMESTAMP = "2024-09-02T08:00:00.000Z"
MAX_CO_TEACHERS = 10  # Clever supports up to 10 teachers per section


def roster_mutate(roster: dict, *, changes: int, seed: int = 0, modified: str = MUTATION_TIMESTAMP) -> dict:
    """Return a copy of `roster` with `changes` random changes to its district records.

    A change is one of: a student enrolled in or dropped from a section, or moved between two
    sections of a school; a student, teacher or section renamed or rescheduled; a student added
    (and enrolled) or removed (and so dropped from their sections); a section added or removed;
    a teacher added with a section; a co-teacher added to a section. Changed and new records
    get `modified` as last_modified; new ids ascend after the roster's highest. The same roster
    and seed give the same result; `roster` itself is not modified (changed records are copies).
    """
    if changes < 0:
        raise ValueError("changes cannot be negative")
    return _Mutation(roster, random.Random(seed), modified).run(changes)  # noqa: S311 - made-up changes


class _Mutation:
    def __init__(self, roster: dict, rng: random.Random, modified: str):
        self.roster, self.rng, self.modified = roster, rng, modified
        self.records = {kind: {r["id"]: r for r in roster.get(kind) or []} for kind in KINDS}
        self.next_id = 1 + max((int(i, 16) for records in self.records.values() for i in records), default=0)
        # District records only: the Library has no events and is left alone.
        self.ids = {kind: [] for kind in ("teachers", "students", "sections")}
        self.by_school = {kind: defaultdict(list) for kind in self.ids}
        for kind, ids in self.ids.items():
            for record_id, record in self.records[kind].items():
                if record.get("district") and record.get("school"):
                    ids.append(record_id)
                    self.by_school[kind][record["school"]].append(record_id)
        if not self.ids["sections"]:
            raise ValueError("the roster has no district sections to change")

    def run(self, changes: int) -> dict:
        # Weights: mostly enrollment changes, as in a school term; records come and go less often.
        operations = (
            (self.enroll, 15),
            (self.drop, 15),
            (self.move, 20),
            (self.rename_student, 10),
            (self.rename_teacher, 5),
            (self.reschedule_section, 5),
            (self.add_student, 10),
            (self.remove_student, 5),
            (self.add_section, 5),
            (self.remove_section, 2),
            (self.add_teacher, 3),
            (self.add_co_teacher, 5),
        )
        functions, weights = zip(*operations, strict=True)
        done = attempts = 0
        while done < changes:
            attempts += 1
            if attempts > 100 * changes:
                raise ValueError("this roster is too small for that many changes")
            done += bool(self.rng.choices(functions, weights)[0]())
        out = {key: value for key, value in self.roster.items() if key not in KINDS}
        for kind in KINDS:
            if kind in self.roster or self.records[kind]:
                out[kind] = list(self.records[kind].values())
        return out

    # --- The changes (each returns whether it changed anything) -------------------------

    def enroll(self) -> bool:
        section = self._pick("sections")
        enrolled = _members(section, "students")
        pool = self.by_school["students"][section["school"]]
        student_id = self.rng.choice(pool) if pool else None
        if student_id is None or student_id in enrolled:
            return False
        self._put("sections", section, students=[*enrolled, student_id])
        return True

    def drop(self) -> bool:
        section = self._pick("sections")
        enrolled = _members(section, "students")
        if len(enrolled) < 2:
            return False
        student_id = self.rng.choice(enrolled)
        self._put("sections", section, students=[i for i in enrolled if i != student_id])
        return True

    def move(self) -> bool:
        source = self._pick("sections")
        if not _members(source, "students"):
            return False
        student_id = self.rng.choice(_members(source, "students"))
        target = self.records["sections"][self.rng.choice(self.by_school["sections"][source["school"]])]
        if target["id"] == source["id"] or student_id in _members(target, "students"):
            return False
        self._put("sections", source, students=[i for i in _members(source, "students") if i != student_id])
        self._put("sections", target, students=[*_members(target, "students"), student_id])
        return True

    def rename_student(self) -> bool:
        return self._rename("students", "first", FIRST_NAMES)

    def rename_teacher(self) -> bool:
        return self._rename("teachers", "last", LAST_NAMES)

    def reschedule_section(self) -> bool:
        section = self._pick("sections")
        period = str(self.rng.randint(1, 8))
        if period == section.get("period"):
            return False
        self._put("sections", section, period=period)
        return True

    def add_student(self) -> bool:
        section = self._pick("sections")
        student_id = self._new_id()
        number = str(int(student_id[-10:], 16))
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        student = {
            "id": student_id,
            "district": section["district"],
            "school": section["school"],
            "schools": [section["school"]],
            "name": {"first": first, "middle": "", "last": last},
            "grade": section.get("grade") or self.rng.choice(GRADES),
            "sis_id": number,
            "student_number": number,
            "created": self.modified,
            "last_modified": self.modified,
        }
        self._add("students", student)
        self._put("sections", section, students=[*_members(section, "students"), student_id])
        return True

    def remove_student(self) -> bool:
        student = self._pick("students")
        if student is None:
            return False
        student_id = student["id"]
        for section_id in self.ids["sections"]:
            section = self.records["sections"][section_id]
            enrolled = _members(section, "students")
            if student_id in enrolled:
                self._put("sections", section, students=[i for i in enrolled if i != student_id])
        self._remove("students", student)
        return True

    def add_section(self, teacher: dict | None = None) -> bool:
        teacher = teacher or self._pick("teachers")
        if teacher is None:
            return False
        pool = self.by_school["students"][teacher["school"]]
        students = self.rng.sample(pool, min(len(pool), self.rng.randint(5, 25)))
        subject = self.rng.choice(SUBJECTS_V20)
        period = str(self.rng.randint(1, 8))
        section_id = self._new_id()
        last = (teacher.get("name") or {}).get("last") or ""
        section = {
            "id": section_id,
            "district": teacher["district"],
            "school": teacher["school"],
            "name": f"{subject.title()} - {last} - {period}",
            "subject": subject,
            "grade": self.rng.choice(GRADES),
            "period": period,
            "section_number": period,
            "sis_id": f"SEC-{section_id[-8:]}",
            "teacher": teacher["id"],
            "teachers": [teacher["id"]],
            "students": students,
            "created": self.modified,
            "last_modified": self.modified,
        }
        self._add("sections", section)
        return True

    def remove_section(self) -> bool:
        if len(self.ids["sections"]) < 2:
            return False
        self._remove("sections", self._pick("sections"))
        return True

    def add_teacher(self) -> bool:
        school_id = self._pick("sections")["school"]
        teacher_id = self._new_id()
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        teacher = {
            "id": teacher_id,
            "district": self.records["schools"][school_id]["district"],
            "school": school_id,
            "schools": [school_id],
            "name": {"first": first, "middle": "", "last": last},
            "email": f"{teacher_id[-8:]}@generated.example",
            "sis_id": f"T-{teacher_id[-8:]}",
            "title": "Teacher",
            "created": self.modified,
            "last_modified": self.modified,
        }
        self._add("teachers", teacher)
        return self.add_section(teacher)

    def add_co_teacher(self) -> bool:
        section = self._pick("sections")
        candidates = self.by_school["teachers"][section["school"]]
        teacher_id = self.rng.choice(candidates) if candidates else None
        teaching = _members(section, "teachers")
        if teacher_id is None or teacher_id in teaching or len(teaching) >= MAX_CO_TEACHERS:
            return False
        self._put("sections", section, teachers=[*teaching, teacher_id])
        return True

    # --- Bookkeeping ----------------------------------------------------------------------

    def _rename(self, kind: str, part: str, names: tuple[str, ...]) -> bool:
        record = self._pick(kind)
        name = self.rng.choice(names)
        if record is None or name == (record.get("name") or {}).get(part):
            return False
        self._put(kind, record, name={**record.get("name", {}), part: name})
        return True

    def _pick(self, kind: str) -> dict | None:
        ids = self.ids[kind]
        return self.records[kind][self.rng.choice(ids)] if ids else None

    def _put(self, kind: str, record: dict, **changes) -> None:
        self.records[kind][record["id"]] = {**record, **changes, "last_modified": self.modified}

    def _add(self, kind: str, record: dict) -> None:
        self.records[kind][record["id"]] = record
        self.ids[kind].append(record["id"])
        self.by_school[kind][record["school"]].append(record["id"])

    def _remove(self, kind: str, record: dict) -> None:
        del self.records[kind][record["id"]]
        self.ids[kind].remove(record["id"])
        self.by_school[kind][record["school"]].remove(record["id"])

    def _new_id(self) -> str:
        record_id = f"{self.next_id:024x}"
        if len(record_id) > 24:
            raise ValueError("no ids left after the roster's highest")
        self.next_id += 1
        return record_id


def _members(section: dict, key: str) -> list[str]:
    """Return a section's students or teachers (a hand-written roster may leave the key out)."""
    return section.get(key) or []
