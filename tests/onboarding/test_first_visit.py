"""The questionnaire as a first visit needs it: finishable without classes, grades K-12 first,
common countries first, and an email that becomes the account's when it had none."""

import re

import pytest

from accounts.models import User
from tests.factories import TeacherFactory, UserFactory

from .conftest import FORM_URL, field_name, shown_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher_without_classes():
    """A district teacher Clever has not given any class yet (and no email)."""
    return TeacherFactory(user=UserFactory(email=""), email="", school_name="Lincoln Elementary")


def test_a_teacher_without_classes_finishes_with_subjects_and_grades_empty(client, teacher_without_classes, questions):
    client.force_login(teacher_without_classes.user)
    shown = client.get(FORM_URL)
    page = shown.content.decode()
    for label in ("Subjects you teach", "Grades you teach"):
        assert re.search(rf"{label}\s*<span class=\"optional\">\(optional\)</span>", page)

    data = {**shown_form_data(shown), field_name(questions["Email"]): "new.teacher@lincoln.example"}
    response = client.post(FORM_URL, data)

    assert (response.status_code, response["Location"]) == (302, "/classes/")


def test_subjects_stay_required_when_clever_gave_classes_to_prefill_them(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    del data[field_name(questions["Subjects you teach"])]

    response = client.post(FORM_URL, data)

    assert response.status_code == 200
    assert "Please choose at least one." in response.content.decode()


def test_grades_show_k_to_12_first_and_the_rest_behind_more(client, district_teacher):
    client.force_login(district_teacher.user)

    page = client.get(FORM_URL).content.decode()

    grades_part = page[page.index("Grades you teach") :]
    first, more = grades_part.split("<summary>More grades</summary>", 1)
    first_texts = re.findall(r"> ([^<]+)</label>", first[first.index('<div class="choices">') :])
    assert first_texts == ["Kindergarten", *(f"Grade {n}" for n in range(1, 13))]
    more_texts = re.findall(r"> ([^<]+)</label>", more[: more.index("</details>")])
    assert more_texts == [
        "Infant / toddler",
        "Preschool",
        "Pre-K",
        "Transitional kindergarten",
        "Grade 13",
        "Postgraduate",
        "Ungraded",
        "Other",
    ]
    assert '<details class="more">' in page  # closed: nothing behind it is ticked


def test_a_ticked_grade_behind_more_keeps_it_open(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["Grades you teach"])] = ["PreKindergarten"]
    data[field_name(questions["Email"])] = "not an email"

    page = client.post(FORM_URL, data).content.decode()

    assert '<details class="more" open>' in page


def test_common_countries_come_first(client, district_teacher):
    client.force_login(district_teacher.user)

    page = client.get(FORM_URL).content.decode()

    options = re.findall(r'<option value="([A-Z]*)"', page[page.index('name="q_') :])
    country_options = options[options.index("US") - 1 :][:5]
    assert country_options == ["", "US", "CA", "GB", ""]  # "Choose a country…", the three, a break


def test_a_refused_form_starts_with_a_summary_that_links_to_each_question(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = shown_form_data(client.get(FORM_URL))
    data[field_name(questions["Email"])] = "not an email"

    page = client.post(FORM_URL, data).content.decode()

    summary = page[page.index('<div class="error-summary"') : page.index("</div>", page.index("error-summary"))]
    assert 'tabindex="-1" autofocus data-error-summary' in summary
    email_id = field_name(questions["Email"])
    assert f'<a href="#field-{email_id}">Email: Enter a valid email address.</a>' in summary


def test_the_email_given_in_onboarding_becomes_the_accounts_when_it_had_none(
    client, teacher_without_classes, questions
):
    client.force_login(teacher_without_classes.user)
    data = {**shown_form_data(client.get(FORM_URL)), field_name(questions["Email"]): "ruth@school.example"}

    client.post(FORM_URL, data)

    user = User.objects.get(pk=teacher_without_classes.user.pk)
    assert user.email == "ruth@school.example"
    assert list(user.emailaddress_set.values_list("email", "primary", "verified")) == [
        ("ruth@school.example", True, False)
    ]


def test_an_email_the_account_has_is_never_replaced(client, district_teacher, questions):
    client.force_login(district_teacher.user)
    data = {**shown_form_data(client.get(FORM_URL)), field_name(questions["Email"]): "other@lincoln.example"}

    client.post(FORM_URL, data)

    assert User.objects.get(pk=district_teacher.user.pk).email == "local@example.org"


def test_an_email_another_account_uses_is_kept_as_an_answer_only(client, teacher_without_classes, questions):
    UserFactory(email="taken@school.example")
    client.force_login(teacher_without_classes.user)
    data = {**shown_form_data(client.get(FORM_URL)), field_name(questions["Email"]): "taken@school.example"}

    response = client.post(FORM_URL, data)

    assert response.status_code == 302
    assert User.objects.get(pk=teacher_without_classes.user.pk).email == ""


def test_no_navigation_or_plan_band_while_onboarding_is_the_only_way_on(client, district_teacher):
    district_teacher.user.plan = User.Plan.TRIAL
    district_teacher.user.save()
    client.force_login(district_teacher.user)

    page = client.get(FORM_URL).content.decode()

    assert "<nav" not in page
    assert 'class="banner' not in page
    assert ">Sign out</button>" in page
