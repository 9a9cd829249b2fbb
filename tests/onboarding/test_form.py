"""Finishing the questionnaire, the relaxed rules for Library teachers, and every bad input."""

import html

import pytest
from django.db import IntegrityError
from django.utils import timezone

from onboarding import services
from onboarding.models import Answer, Onboarding, Question
from tests.factories import QuestionFactory, TeacherFactory, UserFactory

from .conftest import FORM_URL, field_name, shown_form_data

pytestmark = pytest.mark.django_db


def saved_answers(user) -> dict[str, object]:
    return {answer.question.label: answer.value for answer in Answer.objects.filter(onboarding__user=user)}


def assert_nothing_saved(user):
    assert saved_answers(user) == {}
    assert not Onboarding.objects.filter(user=user, finished_at__isnull=False).exists()


def test_one_click_finishes_when_clever_filled_everything_required(client, district_teacher):
    client.force_login(district_teacher.user)
    shown = client.get(FORM_URL)

    response = client.post(FORM_URL, shown_form_data(shown), follow=True)

    assert response.redirect_chain == [("/classes/", 302)]
    assert "you're all set" in html.unescape(response.content.decode())
    assert saved_answers(district_teacher.user) == {
        "Email": "ms.rivera@lincoln.k12.example",
        "School": "Lincoln Elementary",
        "Subjects you teach": ["math", "science"],
        "Grades you teach": ["3", "4", "5"],
        "Country": "US",
    }
    assert Onboarding.objects.get(user=district_teacher.user).finished_at is not None


def test_library_teacher_finishes_with_school_and_country_empty(client, library_teacher, questions):
    client.force_login(library_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["Email"])] = "lee@example.com"

    response = client.post(FORM_URL, data)

    assert response.status_code == 302
    answers = saved_answers(library_teacher.user)
    assert answers["School"] == ""
    assert answers["Country"] == ""
    assert answers["Email"] == "lee@example.com"
    assert Onboarding.objects.get(user=library_teacher.user).finished_at is not None


def test_library_teacher_sees_which_questions_are_optional(client, library_teacher):
    client.force_login(library_teacher.user)

    page = client.get(FORM_URL).content.decode()

    assert page.count("(optional)") == 4  # all but email


def test_district_teacher_cannot_finish_with_school_and_country_empty(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    del data[field_name(questions["School"])]
    data[field_name(questions["Country"])] = ""

    response = client.post(FORM_URL, data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field_name(questions["School"])] == ["Please answer this question."]
    assert form.errors[field_name(questions["Country"])] == ["Please answer this question."]
    assert "Please answer this question." in response.content.decode()
    assert_nothing_saved(district_teacher.user)


def test_email_is_required_for_library_teachers_too(client, library_teacher, questions):
    client.force_login(library_teacher.user)
    data = shown_form_data(client.get(FORM_URL))

    response = client.post(FORM_URL, data)

    assert response.context["form"].errors == {field_name(questions["Email"]): ["Please answer this question."]}
    assert_nothing_saved(library_teacher.user)


def test_an_invalid_email_is_refused_next_to_the_field(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["Email"])] = "ana at lincoln"

    response = client.post(FORM_URL, data)

    assert response.status_code == 200
    assert response.context["form"].errors == {field_name(questions["Email"]): ["Enter a valid email address."]}
    page = response.content.decode()
    assert f'id="id_{field_name(questions["Email"])}_error"' in page
    assert 'value="ana at lincoln"' in page  # what they typed is kept
    assert_nothing_saved(district_teacher.user)


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Subjects you teach", ["math", "cooking"]),
        ("Grades you teach", ["14"]),
        ("Country", "XX"),
    ],
)
def test_a_choice_that_is_not_offered_is_refused(client, district_teacher, questions, label, value):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions[label])] = value

    response = client.post(FORM_URL, data)

    errors = response.context["form"].errors
    assert list(errors) == [field_name(questions[label])]
    assert "is not one of the available choices" in errors[field_name(questions[label])][0]
    assert_nothing_saved(district_teacher.user)


def test_a_single_choice_that_is_not_offered_is_refused(client, district_teacher):
    question = QuestionFactory(kind=Question.Kind.SINGLE_CHOICE, choices="yes | Yes\nno | No")
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(question)] = "maybe"

    response = client.post(FORM_URL, data)

    assert list(response.context["form"].errors) == [field_name(question)]
    assert_nothing_saved(district_teacher.user)


def test_a_missing_multiple_choice_answer_is_refused_for_district_teachers(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    del data[field_name(questions["Grades you teach"])]

    response = client.post(FORM_URL, data)

    assert response.context["form"].errors == {
        field_name(questions["Grades you teach"]): ["Please choose at least one."]
    }
    assert_nothing_saved(district_teacher.user)


@pytest.mark.parametrize("which", ["unknown", "inactive"])
def test_a_field_for_a_question_not_on_the_form_is_refused_at_the_top(client, district_teacher, which):
    extra = QuestionFactory(active=False)
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data["q_999999" if which == "unknown" else field_name(extra)] = "sneaky"

    response = client.post(FORM_URL, data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This form was changed before it reached us, so nothing was saved. "
        "Please check your answers and send it again."
    ]
    assert 'role="alert"' in response.content.decode()
    assert_nothing_saved(district_teacher.user)


@pytest.mark.parametrize("version", [None, "", "abc", "0123456789abcdef0123:forged"])
def test_a_missing_or_edited_form_version_is_refused_at_the_top(client, district_teacher, version):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    if version is None:
        del data["version"]
    else:
        data["version"] = version

    response = client.post(FORM_URL, data)

    assert "This form was changed before it reached us" in response.content.decode()
    assert_nothing_saved(district_teacher.user)


def test_questions_changed_while_answering_saves_nothing_and_shows_the_new_form(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    added = QuestionFactory(label="How did you hear about us?")

    response = client.post(FORM_URL, data)

    page = response.content.decode()
    assert "The questions changed while you were answering" in page
    assert "How did you hear about us?" in page
    assert field_name(added) in response.context["form"].fields
    assert_nothing_saved(district_teacher.user)
    # The form shown again carries the new version, so sending it works.
    assert client.post(FORM_URL, shown_form_data(response)).status_code == 302


def test_an_answer_longer_than_allowed_is_refused(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["School"])] = "x" * 256

    response = client.post(FORM_URL, data)

    assert list(response.context["form"].errors) == [field_name(questions["School"])]
    assert_nothing_saved(district_teacher.user)


def test_submitting_twice_keeps_one_answer_per_question(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))

    first = client.post(FORM_URL, data)
    finished_at = Onboarding.objects.get(user=district_teacher.user).finished_at
    data[field_name(questions["School"])] = "Lincoln Elementary School"
    second = client.post(FORM_URL, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Answer.objects.filter(onboarding__user=district_teacher.user).count() == 5
    assert Onboarding.objects.filter(user=district_teacher.user).count() == 1
    assert saved_answers(district_teacher.user)["School"] == "Lincoln Elementary School"
    assert Onboarding.objects.get(user=district_teacher.user).finished_at == finished_at


def test_multiple_choice_answers_round_trip(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["Grades you teach"])] = ["PreKindergarten", "Kindergarten", "13"]
    client.post(FORM_URL, data)

    again = client.get(FORM_URL)

    assert saved_answers(district_teacher.user)["Grades you teach"] == ["PreKindergarten", "Kindergarten", "13"]
    assert shown_form_data(again)[field_name(questions["Grades you teach"])] == [
        "PreKindergarten",
        "Kindergarten",
        "13",
    ]


def test_revising_saves_and_returns_to_the_account_page_or_my_classes(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    client.post(FORM_URL, shown_form_data(client.get(FORM_URL)))
    shown = client.get(FORM_URL)
    assert "Save my answers" in shown.content.decode()
    data = shown_form_data(shown)
    data[field_name(questions["Email"])] = "ana@home.example"

    response = client.post(FORM_URL, data, follow=True)

    # /account/ (accounts:account) is another issue; until it exists, My classes.
    assert response.redirect_chain[-1][0] in ("/account/", "/classes/")
    assert "Your answers are saved." in response.content.decode()
    assert saved_answers(district_teacher.user)["Email"] == "ana@home.example"


def test_saving_is_atomic(district_teacher, questions):
    """A failure part-way (here: the database refuses an answer) leaves no onboarding and no answer."""
    broken = QuestionFactory()
    broken.label = None  # the answer's "question as asked" cannot be NULL

    with pytest.raises(IntegrityError):
        services.onboarding_submit(
            user=district_teacher.user, answers={questions["Email"]: "a@b.example", broken: "x"}
        )

    assert not Answer.objects.exists()
    assert not Onboarding.objects.exists()


def test_users_without_a_clever_teacher_are_sent_to_my_classes(client):
    client.force_login(UserFactory())

    response = client.get(FORM_URL)

    assert response.status_code == 302
    assert response["Location"] == "/classes/"
    assert not Onboarding.objects.exists()


def test_anonymous_visitors_are_asked_to_sign_in(client):
    response = client.get(FORM_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reset_onboarding_asks_again_with_clever_prefill(client, district_teacher, questions):
    services.onboarding_submit(user=district_teacher.user, answers={questions["Email"]: "ana@home.example"})
    onboarding = Onboarding.objects.get(user=district_teacher.user)

    services.onboarding_reset(onboarding=onboarding)

    onboarding.refresh_from_db()
    assert onboarding.finished_at is None
    assert not onboarding.answers.exists()
    client.force_login(district_teacher.user)
    assert shown_form_data(client.get(FORM_URL))[field_name(questions["Email"])] == "ms.rivera@lincoln.k12.example"


def test_a_teacher_who_only_looked_is_started_not_finished(client, district_teacher):
    client.force_login(district_teacher.user)
    before = timezone.now()

    client.get(FORM_URL)

    onboarding = Onboarding.objects.get(user=district_teacher.user)
    assert onboarding.started_at >= before
    assert onboarding.finished_at is None


def test_a_teacher_with_another_teachers_email_is_fine(client, district_teacher):
    other = TeacherFactory(user=UserFactory(), email=district_teacher.email)
    client.force_login(other.user)

    response = client.post(FORM_URL, shown_form_data(client.get(FORM_URL)))

    assert response.status_code == 200  # other required answers are missing; the email itself is accepted
    assert "Enter a valid email address." not in response.content.decode()
