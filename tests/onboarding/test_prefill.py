"""What the questionnaire shows first: what Clever told us, and saved answers when revising."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onboarding import services
from onboarding.models import Question
from rosters.models import Sharing
from tests.factories import QuestionFactory, TeacherFactory, UserFactory

from .conftest import FORM_URL, field_name, section_taught

pytestmark = pytest.mark.django_db


def shown(response, question):
    """Return (value shown, marked "from Clever") for a question on the rendered form."""
    for row in response.context["form"].rows:
        if row.field.name == field_name(question):
            return row.field.value(), row.from_clever
    raise AssertionError(f"{question.label!r} is not on the form")


def test_district_teacher_sees_email_school_subjects_grades_and_country_from_clever(
    client, district_teacher, questions
):
    client.force_login(district_teacher.user)

    response = client.get(FORM_URL)

    assert response.status_code == 200
    assert shown(response, questions["Email"]) == ("ms.rivera@lincoln.k12.example", True)
    assert shown(response, questions["School"]) == ("Lincoln Elementary", True)
    # Only active classes count; "Science" matches "science"; unknown values are dropped.
    assert shown(response, questions["Subjects you teach"]) == (["math", "science"], True)
    assert shown(response, questions["Grades you teach"]) == (["3", "4", "5"], True)
    assert shown(response, questions["Country"]) == ("US", True)
    page = response.content.decode()
    assert "Almost done" in page
    assert 'value="Lincoln Elementary"' in page
    assert page.count("from Clever") >= 5
    assert '<option value="US" selected>' in page


def test_library_teacher_gets_no_school_and_no_country(client, library_teacher, questions):
    client.force_login(library_teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, questions["Email"]) == (None, False)
    assert shown(response, questions["School"]) == (None, False)
    assert shown(response, questions["Country"]) == (None, False)
    assert shown(response, questions["Subjects you teach"]) == (["math"], True)
    assert shown(response, questions["Grades you teach"]) == (["2"], True)


def test_a_library_teachers_school_name_is_not_used_even_if_present(client, questions):
    teacher = TeacherFactory(user=UserFactory(), district_id="", sharing=Sharing.LIBRARY, school_name="Somewhere")
    client.force_login(teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, questions["School"]) == (None, False)


def test_email_falls_back_to_the_users_email_when_clever_has_none(client, questions):
    teacher = TeacherFactory(user=UserFactory(email="me@example.org"), email="")
    client.force_login(teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, questions["Email"]) == ("me@example.org", True)


def test_name_prefill_and_a_single_choice_filled_only_when_the_classes_agree(client, district_teacher):
    name = QuestionFactory(label="Your name", prefill=Question.Prefill.NAME)
    main_subject = QuestionFactory(
        label="Main subject", kind=Question.Kind.SINGLE_CHOICE, choices="math\nscience", prefill="subjects"
    )
    main_grade = QuestionFactory(
        label="Main grade", kind=Question.Kind.SINGLE_CHOICE, choices="3 | Third\n9 | Ninth", prefill="grades"
    )
    client.force_login(district_teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, name) == ("Ana Rivera", True)
    # Math and science both taught: picking one would be a guess.
    assert shown(response, main_subject) == (None, False)
    # Of the grades taught (3, 4, 5) only 3 is offered.
    assert shown(response, main_grade) == ("3", True)


def test_saved_answers_win_over_clever_when_revising(client, district_teacher, questions):
    services.onboarding_submit(
        user=district_teacher.user,
        answers={
            questions["Email"]: "ana@home.example",
            questions["School"]: "",
            questions["Subjects you teach"]: ["arts and music"],
            questions["Grades you teach"]: ["Kindergarten"],
            questions["Country"]: "CA",
        },
    )
    client.force_login(district_teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, questions["Email"]) == ("ana@home.example", False)
    # Emptied on purpose: Clever's school does not come back.
    assert shown(response, questions["School"]) == ("", False)
    assert shown(response, questions["Subjects you teach"]) == (["arts and music"], False)
    assert shown(response, questions["Grades you teach"]) == (["Kindergarten"], False)
    assert shown(response, questions["Country"]) == ("CA", False)
    assert "Your answers" in response.content.decode()


def test_a_new_question_is_prefilled_while_revising_old_answers(client, district_teacher, questions):
    services.onboarding_submit(user=district_teacher.user, answers={questions["Email"]: "ana@home.example"})
    new = QuestionFactory(label="Your name", prefill=Question.Prefill.NAME)
    client.force_login(district_teacher.user)

    response = client.get(FORM_URL)

    assert shown(response, new) == ("Ana Rivera", True)


def test_prefill_queries_do_not_grow_with_the_number_of_classes(client, district_teacher):
    client.force_login(district_teacher.user)
    client.get(FORM_URL)
    with CaptureQueriesContext(connection) as few:
        client.get(FORM_URL)
    for subject in ("social studies", "technology and engineering", "homeroom/advisory", "language"):
        section_taught(district_teacher, subject=subject, grade="6", students=3)

    with CaptureQueriesContext(connection) as many:
        response = client.get(FORM_URL)

    assert "technology and engineering" in shown(response, Question.objects.get(prefill="subjects"))[0]
    assert len(many) == len(few)
