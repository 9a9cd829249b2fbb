"""Staff shape the questions and see, export and reset teachers' onboarding in the admin."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from onboarding import services
from onboarding.models import Answer, Onboarding, Question
from rosters.models import Sharing
from tests.factories import AnswerFactory, OnboardingFactory, QuestionFactory, TeacherFactory, UserFactory

from .conftest import FORM_URL, field_name

pytestmark = pytest.mark.django_db

QUESTIONS = "/admin/onboarding/question/"
ONBOARDINGS = "/admin/onboarding/onboarding/"


def labels_on_form(client) -> list[str]:
    return [row.field.label for row in client.get(FORM_URL).context["form"].rows]


# --- smoke ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [QUESTIONS, ONBOARDINGS])
def test_changelist_search_and_add_pages_load(staff_client, district_teacher, url):
    OnboardingFactory(user=district_teacher.user)

    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "Rivera"}).status_code == 200
    assert staff_client.get(f"{url}add/").status_code == 200


def test_question_changelist_lists_the_defaults_in_order(staff_client):
    page = staff_client.get(QUESTIONS).content.decode()

    positions = [page.index(label) for label in ("Email", "School", "Subjects you teach", "Grades you teach")]
    assert positions == sorted(positions)


def test_question_search_finds_by_label(staff_client):
    response = staff_client.get(QUESTIONS, {"q": "grades"})

    assert [question.label for question in response.context["cl"].result_list] == ["Grades you teach"]


def test_onboarding_search_finds_by_teacher_name(staff_client, district_teacher):
    OnboardingFactory(user=district_teacher.user)
    OnboardingFactory()

    response = staff_client.get(ONBOARDINGS, {"q": "Rivera"})

    assert [onboarding.user for onboarding in response.context["cl"].result_list] == [district_teacher.user]


def test_a_teachers_answers_show_read_only_on_their_page(staff_client, district_teacher, questions):
    services.onboarding_submit(
        user=district_teacher.user,
        answers={questions["Subjects you teach"]: ["math", "science"], questions["Country"]: "US"},
    )
    onboarding = Onboarding.objects.get(user=district_teacher.user)

    page = staff_client.get(f"{ONBOARDINGS}{onboarding.pk}/change/").content.decode()

    assert "Math; Science" in page
    assert "United States" in page
    assert 'name="answers-0-value"' not in page  # read-only: no inputs for answers


# --- shaping the questions ----------------------------------------------------------


def test_a_question_added_in_the_admin_is_asked_to_the_next_teacher(staff_client, client, district_teacher):
    response = staff_client.post(
        f"{QUESTIONS}add/",
        {
            "label": "How many students do you teach?",
            "help_text": "A rough number is fine.",
            "kind": "single_choice",
            "choices": "1-30 | Up to 30\n31-100 | 31 to 100\nmore | More than 100\n",
            "required_for_district": "on",
            "prefill": "none",
            "order": "5",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.force_login(district_teacher.user)

    form = client.get(FORM_URL).context["form"]

    first = form.rows[0].field
    assert first.label == "How many students do you teach?"
    assert first.help_text == "A rough number is fine."
    assert first.field.required
    assert list(first.field.choices)[1:] == [("1-30", "Up to 30"), ("31-100", "31 to 100"), ("more", "More than 100")]


def test_a_question_deactivated_in_the_admin_is_no_longer_asked(staff_client, client, district_teacher, questions):
    country = questions["Country"]
    rows = list(Question.objects.order_by("order", "pk"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, question in enumerate(rows):
        data[f"form-{index}-id"] = str(question.pk)
        data[f"form-{index}-order"] = str(question.order)
        if question != country:
            data[f"form-{index}-active"] = "on"

    response = staff_client.post(QUESTIONS, data)

    assert response.status_code == 302
    client.force_login(district_teacher.user)
    assert "Country" not in labels_on_form(client)
    assert "Email" in labels_on_form(client)


def test_questions_are_reordered_in_the_admin_list(staff_client, client, district_teacher):
    rows = list(Question.objects.order_by("order", "pk"))
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for index, question in enumerate(rows):
        data[f"form-{index}-id"] = str(question.pk)
        data[f"form-{index}-order"] = "1" if question.label == "Country" else str(question.order)
        data[f"form-{index}-active"] = "on"

    staff_client.post(QUESTIONS, data)

    client.force_login(district_teacher.user)
    assert labels_on_form(client)[0] == "Country"


def test_editing_choices_one_per_line(staff_client, client, district_teacher, questions):
    subjects = questions["Subjects you teach"]
    response = staff_client.post(
        f"{QUESTIONS}{subjects.pk}/change/",
        {
            "label": "What do you teach?",
            "help_text": "",
            "kind": "multiple_choice",
            "choices": "math | Mathematics\n\nscience\nrobotics | Robotics club\n",
            "required_for_district": "on",
            "prefill": "subjects",
            "order": "30",
            "active": "on",
        },
    )
    assert response.status_code == 302
    client.force_login(district_teacher.user)

    row = next(row for row in client.get(FORM_URL).context["form"].rows if row.field.label == "What do you teach?")

    assert list(row.field.field.choices) == [
        ("math", "Mathematics"),
        ("science", "science"),
        ("robotics", "Robotics club"),
    ]
    assert row.field.value() == ["math", "science"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "multiple_choice", "choices": ""}, "choices", "Add at least one choice"),
        ({"kind": "single_choice", "choices": "a\nA | again"}, "choices", "Each choice must be different"),
        ({"kind": "short_text", "choices": "a\nb"}, "choices", "Only single and multiple choice questions"),
        ({"kind": "short_text", "prefill": "country"}, "prefill", "can only fill a question of kind: Country"),
        ({"kind": "email", "prefill": "grades"}, "prefill", "Single choice, Multiple choice"),
    ],
)
def test_a_question_that_cannot_work_is_refused_with_a_clear_message(staff_client, changes, field, message):
    data = {"label": "Broken", "kind": "short_text", "prefill": "none", "order": "1", "active": "on", **changes}

    response = staff_client.post(f"{QUESTIONS}add/", data)

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not Question.objects.filter(label="Broken").exists()


def test_a_question_somebody_answered_cannot_be_deleted(staff_client, questions):
    AnswerFactory(question=questions["School"], value="Lincoln")

    response = staff_client.post(f"{QUESTIONS}{questions['School'].pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    assert "Cannot delete" in response.content.decode()
    assert Question.objects.filter(pk=questions["School"].pk).exists()


# --- teachers' onboardings: filters, export, reset ------------------------------------------


@pytest.fixture
def three_teachers():
    """A finished district teacher, an unfinished district teacher and a finished Library teacher."""
    finished = OnboardingFactory(user=TeacherFactory(user=UserFactory(), last_name="Finished").user)
    unfinished = OnboardingFactory(user=TeacherFactory(user=UserFactory(), last_name="Pending").user)
    library = OnboardingFactory(
        user=TeacherFactory(user=UserFactory(), last_name="Lib", sharing=Sharing.LIBRARY, district_id="").user
    )
    for onboarding in (finished, library):
        onboarding.finished_at = timezone.now()
        onboarding.save()
    return finished, unfinished, library


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"finished": "yes"}, {0, 2}),
        ({"finished": "no"}, {1}),
        ({"sharing": "library"}, {2}),
        ({"sharing": "district"}, {0, 1}),
        ({"sharing": "district", "finished": "no"}, {1}),
    ],
)
def test_filters_finished_and_shared_by(staff_client, three_teachers, query, expected):
    response = staff_client.get(ONBOARDINGS, query)

    assert set(response.context["cl"].result_list) == {three_teachers[index] for index in expected}


def test_export_is_one_row_per_teacher_and_one_column_per_question(staff_client, district_teacher, questions):
    services.onboarding_submit(
        user=district_teacher.user,
        answers={
            questions["Email"]: "ana@lincoln.example",
            questions["School"]: '=HYPERLINK("http://evil.example","click")',
            questions["Subjects you teach"]: ["math", "science"],
            questions["Grades you teach"]: ["Kindergarten", "3"],
            questions["Country"]: "US",
        },
    )
    retired = QuestionFactory(label="Old question", active=False)
    AnswerFactory(onboarding=Onboarding.objects.get(user=district_teacher.user), question=retired, value="+1 yes")
    other = TeacherFactory(user=UserFactory(email="@other@example.org"), first_name="-Bo", last_name="Sun")
    OnboardingFactory(user=other.user)
    TeacherFactory(user=UserFactory(), last_name="NotSelected")
    onboarding_ids = list(Onboarding.objects.values_list("pk", flat=True))

    response = staff_client.post(ONBOARDINGS, {"action": "export_answers_csv", ACTION_CHECKBOX_NAME: onboarding_ids})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert list(rows[0])[6:] == [
        "Email",
        "School",
        "Subjects you teach",
        "Grades you teach",
        "Country",
        "Old question",
    ]
    ana = next(row for row in rows if row["Clever ID"] == district_teacher.clever_id)
    assert ana["Teacher"] == "Ana Rivera"
    assert ana["Account email"] == district_teacher.user.email
    assert ana["Email"] == "ana@lincoln.example"
    assert ana["Shared by"] == "District"
    assert ana["Finished"]
    assert ana["Subjects you teach"] == "Math; Science"
    assert ana["Grades you teach"] == "Kindergarten; Grade 3"
    assert ana["Country"] == "United States of America"
    # Cells a spreadsheet would run as formulas are neutralised.
    assert ana["School"] == '\'=HYPERLINK("http://evil.example","click")'
    assert ana["Old question"] == "'+1 yes"
    bo = next(row for row in rows if row["Clever ID"] == other.clever_id)
    assert bo["Account email"] == "'@other@example.org"
    assert bo["Teacher"] == "'-Bo Sun"
    assert bo["Finished"] == ""
    assert bo["School"] == ""


def test_reset_asks_for_confirmation_first_and_changes_nothing_until_then(staff_client, district_teacher, questions):
    services.onboarding_submit(user=district_teacher.user, answers={questions["Email"]: "ana@lincoln.example"})
    onboarding = Onboarding.objects.get(user=district_teacher.user)

    response = staff_client.post(ONBOARDINGS, {"action": "reset_onboarding", ACTION_CHECKBOX_NAME: [onboarding.pk]})

    assert response.status_code == 200
    assert "Yes, reset" in response.content.decode()
    assert str(district_teacher.user) in response.content.decode()
    onboarding.refresh_from_db()
    assert onboarding.finished_at is not None
    assert onboarding.answers.count() == 1


def test_reset_forgets_the_answers_and_asks_the_teacher_again(staff_client, client, district_teacher, questions):
    services.onboarding_submit(user=district_teacher.user, answers={questions["Email"]: "ana@lincoln.example"})
    onboarding = Onboarding.objects.get(user=district_teacher.user)
    untouched = OnboardingFactory(finished_at=timezone.now())

    response = staff_client.post(
        ONBOARDINGS,
        {"action": "reset_onboarding", ACTION_CHECKBOX_NAME: [onboarding.pk], "confirm": "yes"},
        follow=True,
    )

    assert "1 teacher will answer the questionnaire again." in response.content.decode()
    onboarding.refresh_from_db()
    assert onboarding.finished_at is None
    assert not onboarding.answers.exists()
    untouched.refresh_from_db()
    assert untouched.finished_at is not None
    client.force_login(district_teacher.user)
    assert client.get("/classes/")["Location"] == FORM_URL
    assert client.get(FORM_URL).context["form"][field_name(questions["Email"])].value() == district_teacher.email


def make_answered_teachers(count, questions):
    for _ in range(count):
        user = TeacherFactory(user=UserFactory()).user
        services.onboarding_submit(
            user=user,
            answers={questions["Email"]: "t@example.org", questions["Subjects you teach"]: ["math"]},
        )


def queries_for(staff_client, *args, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.post(*args, **kwargs) if kwargs.get("data") else staff_client.get(*args)
    assert response.status_code == 200
    return len(queries)


def test_the_onboarding_list_and_the_export_do_not_query_per_teacher(staff_client, questions):
    make_answered_teachers(1, questions)
    list_few = queries_for(staff_client, ONBOARDINGS)
    export = {
        "action": "export_answers_csv",
        ACTION_CHECKBOX_NAME: list(Onboarding.objects.values_list("pk", flat=True)),
    }
    export_few = queries_for(staff_client, ONBOARDINGS, data=export)

    make_answered_teachers(4, questions)
    export[ACTION_CHECKBOX_NAME] = list(Onboarding.objects.values_list("pk", flat=True))

    assert queries_for(staff_client, ONBOARDINGS) == list_few
    assert queries_for(staff_client, ONBOARDINGS, data=export) == export_few


# --- a new question: last, optional, and who is asked --------------------------------------------------


def _finished_teacher(questions, *, email):
    """A district teacher who finished the default questionnaire."""
    user = TeacherFactory(user=UserFactory(email=email)).user
    services.onboarding_submit(user=user, answers={questions["Email"]: email, questions["Subjects you teach"]: []})
    return user


def test_a_new_question_goes_last_and_is_optional_unless_staff_tick_it(staff_client, client, district_teacher):
    add = staff_client.get(f"{QUESTIONS}add/")
    assert add.context["adminform"].form["order"].value() is None
    assert add.context["adminform"].form["required_for_district"].value() is False

    response = staff_client.post(
        f"{QUESTIONS}add/", {"label": "Favourite book?", "kind": "short_text", "prefill": "none", "active": "on"}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    question = Question.objects.get(label="Favourite book?")
    assert (question.order, question.required_for_district, question.required_for_library) == (60, False, False)
    client.force_login(district_teacher.user)
    rows = client.get(FORM_URL).context["form"].rows
    assert [row.field.label for row in rows] == [
        "Email",
        "School",
        "Subjects you teach",
        "Grades you teach",
        "Country",
        "Favourite book?",
    ]
    assert not rows[-1].field.field.required


def test_the_add_form_says_who_will_be_asked(staff_client, district_teacher, questions):
    _finished_teacher(questions, email="one@example.org")
    _finished_teacher(questions, email="two@example.org")
    OnboardingFactory(user=district_teacher.user)  # started, not finished

    page = staff_client.get(f"{QUESTIONS}add/").content.decode()

    assert (
        "Teachers who have not finished onboarding yet (1 now) and every new teacher will be asked on their "
        "next page. The 2 teachers who already finished will not be asked, unless you then select this "
        "question in the list and choose “Ask teachers who already finished”."
    ) in page


# --- asking teachers who already finished ----------------------------------------------------------------


def _ask(staff_client, questions_asked, **extra):
    data = {"action": "ask_finished_teachers", ACTION_CHECKBOX_NAME: [question.pk for question in questions_asked]}
    return staff_client.post(QUESTIONS, {**data, **extra}, follow=True)


def test_asking_teachers_who_finished_asks_for_confirmation_and_changes_nothing_until_then(staff_client, questions):
    finished = _finished_teacher(questions, email="one@example.org")
    book = QuestionFactory(label="Favourite book?")

    response = _ask(staff_client, [book])

    text = response.content.decode()
    assert "1 teacher finished onboarding without answering:" in text
    assert "<li>Favourite book?</li>" in text
    assert "Yes, ask them" in text
    assert Onboarding.objects.get(user=finished).finished_at is not None


def test_teachers_who_finished_before_a_new_question_are_asked_it_and_keep_their_answers(
    staff_client, client, questions
):
    before = _finished_teacher(questions, email="before@example.org")
    book = QuestionFactory(label="Favourite book?")
    after = TeacherFactory(user=UserFactory()).user  # finished with the new question on the form
    services.onboarding_submit(user=after, answers={questions["Email"]: "after@example.org", book: "Matilda"})
    pending = OnboardingFactory(user=TeacherFactory(user=UserFactory()).user)

    response = _ask(staff_client, [book], confirm="yes")

    assert "1 teacher will be asked on their next page; their other answers stay." in response.content.decode()
    assert Onboarding.objects.get(user=before).finished_at is None
    assert Onboarding.objects.get(user=after).finished_at is not None
    assert Onboarding.objects.get(pk=pending.pk).finished_at is None  # still asked, as before
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ONBOARDING_RESET)
    assert list(events.values_list("target_id", "detail")) == [
        (str(before.pk), f"asked again for new questions {book.pk}; answers kept")
    ]
    client.force_login(before)
    assert client.get("/classes/")["Location"] == FORM_URL
    form = client.get(FORM_URL).context["form"]
    assert form[field_name(questions["Email"])].value() == "before@example.org"  # their answer, kept
    assert form[field_name(book)].value() is None


def test_inactive_questions_are_not_asked(staff_client, questions):
    finished = _finished_teacher(questions, email="one@example.org")
    book = QuestionFactory(label="Favourite book?", active=False)

    response = _ask(staff_client, [book], confirm="yes")

    assert "Inactive questions are not asked; make them active first: “Favourite book?”" in response.content.decode()
    assert Onboarding.objects.get(user=finished).finished_at is not None


def test_when_everyone_answered_there_is_nobody_to_ask(staff_client, questions):
    _finished_teacher(questions, email="one@example.org")

    response = _ask(staff_client, [questions["Email"]])

    assert "Every teacher who finished onboarding has already answered these questions." in response.content.decode()


def test_asking_again_needs_the_permission_to_change_onboardings(client, questions):
    from django.contrib.auth.models import Permission

    finished = _finished_teacher(questions, email="one@example.org")
    book = QuestionFactory(label="Favourite book?")
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_question", "change_question"]))
    client.force_login(staff)

    page = client.get(QUESTIONS).content.decode()
    _ask(client, [book], confirm="yes")

    assert "Ask teachers who already finished" not in page
    assert Onboarding.objects.get(user=finished).finished_at is not None


# --- an answered question: deactivate instead of delete --------------------------------------------------


def test_deleting_an_answered_question_offers_to_deactivate_it_instead(staff_client, questions):
    for value in ("Lincoln", "Roosevelt"):
        AnswerFactory(question=questions["School"], value=value)

    page = staff_client.get(f"{QUESTIONS}{questions['School'].pk}/delete/").content.decode()

    assert "“School” cannot be deleted: teachers answered it" in page
    assert "<li>“School”: 2 answers</li>" in page
    assert "Lincoln" not in page  # not every answer, one by one
    assert f'action="/admin/onboarding/question/{questions["School"].pk}/deactivate/"' in page
    assert 'value="Deactivate instead"' in page


def test_deactivate_instead_keeps_the_answers_and_stops_asking(staff_client, client, district_teacher, questions):
    answer = AnswerFactory(question=questions["School"], value="Lincoln")

    assert staff_client.get(f"{QUESTIONS}{questions['School'].pk}/deactivate/").status_code == 405
    response = staff_client.post(f"{QUESTIONS}{questions['School'].pk}/deactivate/", follow=True)

    assert "“School” is no longer asked. Its answers stay" in response.content.decode()
    questions["School"].refresh_from_db()
    assert questions["School"].active is False
    assert Answer.objects.filter(pk=answer.pk).exists()
    client.force_login(district_teacher.user)
    assert "School" not in labels_on_form(client)


def test_deleting_several_answered_questions_counts_their_answers(staff_client, questions):
    AnswerFactory(question=questions["School"], value="Lincoln")
    unanswered = QuestionFactory(label="Favourite book?")

    response = staff_client.post(
        QUESTIONS, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [questions["School"].pk, unanswered.pk]}
    )

    assert "<li>“School”: 1 answer</li>" in response.content.decode()
    assert Question.objects.filter(pk=unanswered.pk).exists()
