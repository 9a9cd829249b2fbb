"""
Generate large rosters for load tests and demos: one district, deterministic for a seed.

    roster = generate_roster(teachers=200, sections_per_teacher=5, students_per_section=100, seed=7)
    get_sandbox().load(roster)                      # 200 teachers, 1,000 sections, 100,000 students

Every section gets its own students, so there are teachers x sections_per_teacher x
students_per_section of them. Ids are 24-hex like Clever's and ascend in creation order.
"""

from __future__ import annotations

import random

from .roster import DEFAULT_TIMESTAMP
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
) -> dict:
    """Return a roster (the sandbox's JSON format) of one district; the same arguments give the same roster."""
    if min(teachers, sections_per_teacher, students_per_section) < 0 or library_teachers < 0:
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
