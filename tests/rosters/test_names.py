"""Names as teachers read them: sorted as people expect on every database, told apart, filtered."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rosters.names import collation_key, student_name
from rosters.selectors import section_students, teacher_sections
from tests.factories import (
    EnrollmentFactory,
    OnboardingFactory,
    SectionFactory,
    SectionTeacherFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# By character code (SQLite's order, and PostgreSQL's under the C collation) these sort
# Rodríguez, Zoë, Ångström, Émile, Øyvind: accented capitals come after Z.
LAST_NAMES = ["Zoë", "Rodríguez", "Øyvind", "Émile", "Ångström", "ovalle", "Eastwood"]


@pytest.fixture
def teacher():
    user = UserFactory()
    OnboardingFactory(user=user, finished_at=timezone.now())
    return TeacherFactory(user=user, first_name="Ada", last_name="Lovelace")


def _class_of(teacher, *students, name="Class"):
    section = SectionFactory(name=name)
    SectionTeacherFactory(section=section, teacher=teacher)
    for first, last, *rest in students:
        middle = rest[0] if rest else ""
        grade = rest[1] if len(rest) > 1 else "5"
        EnrollmentFactory(
            section=section, student=StudentFactory(first_name=first, middle_name=middle, last_name=last, grade=grade)
        )
    return section


def test_students_sort_by_last_name_as_people_expect_across_accents(teacher):
    section = _class_of(teacher, *[("Sam", last) for last in LAST_NAMES])

    names = [row.name for row in section_students(section=section)]

    assert names == [
        "Ångström, Sam",
        "Eastwood, Sam",
        "Émile, Sam",
        "ovalle, Sam",
        "Øyvind, Sam",
        "Rodríguez, Sam",
        "Zoë, Sam",
    ]


def test_classes_sort_by_name_as_people_expect(teacher):
    for name in ["Zoology", "Éclairs", "algebra", "Ångström lab", "Biology"]:
        _class_of(teacher, name=name)

    assert [section.name for section in teacher_sections(teacher=teacher)] == [
        "algebra",
        "Ångström lab",
        "Biology",
        "Éclairs",
        "Zoology",
    ]


def test_other_scripts_keep_their_own_letters_after_latin_ones():
    assert sorted(["Иванов", "Zhang", "Ωmega", "Adams"], key=collation_key) == ["Adams", "Zhang", "Ωmega", "Иванов"]


def test_library_students_read_as_first_name_and_initial():
    assert student_name(first_name="Isabella", last_name="B") == "Isabella B."
    assert student_name(first_name="Isabella", last_name="B.") == "Isabella B."
    assert student_name(first_name="Maya", last_name="Rodríguez") == "Rodríguez, Maya"
    assert student_name(first_name="", last_name="Rodríguez") == "Rodríguez"


def test_namesakes_are_told_apart_by_middle_name_then_grade_else_marked(teacher):
    section = _class_of(
        teacher,
        ("Liam", "Kim", "J"),
        ("Liam", "Kim", "A"),
        ("Ana", "Silva", "", "4"),
        ("Ana", "Silva", "", "5"),
        ("Ruby", "Yamamoto", "J"),
        ("Ruby", "Yamamoto", "J"),
        ("Noah", "Smith"),
    )

    rows = [(row.name, row.show_grade, row.same_name_note) for row in section_students(section=section)]

    assert rows == [
        ("Kim, Liam A", False, False),
        ("Kim, Liam J", False, False),
        ("Silva, Ana", True, False),
        ("Silva, Ana", True, False),
        ("Smith, Noah", False, False),
        ("Yamamoto, Ruby J", False, True),
        ("Yamamoto, Ruby J", False, True),
    ]


def test_the_class_page_shows_namesakes_grades_and_filters_without_javascript(client, teacher):
    section = _class_of(teacher, ("Ana", "Silva", "", "4"), ("Ana", "Silva", "", "5"), ("Émile", "Zola"))
    client.force_login(teacher.user)

    page = client.get(reverse("rosters:section", args=[section.pk])).content.decode()
    assert '<span class="name">Silva, Ana (Grade 4)</span>' in page
    assert '<span class="name">Silva, Ana (Grade 5)</span>' in page
    assert "<strong>3 students</strong>" in page

    filtered = client.get(reverse("rosters:section", args=[section.pk]), {"q": "emile"}).content.decode()
    assert '<span class="name">Zola, Émile</span>' in filtered
    assert "Silva" not in filtered
    assert "1 student matches “emile”." in filtered


def test_a_co_teacher_clever_named_is_named_and_a_sole_teacher_reads_no_teacher_line(client, teacher):
    shared = SectionFactory(name="Shared")
    SectionTeacherFactory(section=shared, teacher=teacher, is_primary=False)
    # A co-teacher who never signed in, but whom a district sync named.
    SectionTeacherFactory(
        section=shared, teacher=TeacherFactory(first_name="José", last_name="Núñez"), is_primary=True
    )
    SectionTeacherFactory(
        section=shared, teacher=TeacherFactory(first_name="", last_name="", email=""), is_primary=False
    )
    _class_of(teacher, name="Alone")
    client.force_login(teacher.user)

    page = client.get(reverse("rosters:classes")).content.decode()

    assert "Teachers: José Núñez (primary), A co-teacher not signed in yet, You" in page
    alone = page[page.index(">Alone</a>") :]
    assert "Teachers:" not in alone[: alone.index("</li>")]
