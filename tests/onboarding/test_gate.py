"""The first-login gate: unfinished Clever teachers see the questionnaire before anything else."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onboarding import services
from onboarding.models import Onboarding
from tests.factories import StaffUserFactory, TeacherFactory, UserFactory

from .conftest import FORM_URL, shown_form_data

pytestmark = pytest.mark.django_db

GATE = "onboarding.middleware.OnboardingGateMiddleware"


@pytest.fixture
def teacher_client(client, district_teacher):
    client.force_login(district_teacher.user)
    return client


@pytest.fixture
def finished_client(client, district_teacher):
    services.onboarding_submit(user=district_teacher.user, answers={})
    client.force_login(district_teacher.user)
    return client


@pytest.mark.parametrize("path", ["/", "/classes/", "/account/", "/accounts/email/", "/admin/"])
def test_an_unfinished_teacher_is_sent_to_the_questionnaire(teacher_client, path):
    response = teacher_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == FORM_URL


def test_the_questionnaire_itself_is_reachable(teacher_client):
    assert teacher_client.get(FORM_URL).status_code == 200


def test_a_post_elsewhere_is_sent_to_the_questionnaire_too(teacher_client):
    response = teacher_client.post("/classes/", {})

    assert response.status_code == 302
    assert response["Location"] == FORM_URL


def test_an_unfinished_teacher_can_sign_out(teacher_client):
    assert teacher_client.get("/accounts/logout/").status_code == 200  # allauth's "are you sure?" page

    response = teacher_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in teacher_client.session


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/clever/login/",
        "/accounts/clever/login/callback/?code=abc",
        "/sandbox/clever/oauth/authorize",
        "/static/css/site.css",
    ],
)
def test_clever_login_the_sandbox_and_static_files_are_not_gated(teacher_client, path):
    response = teacher_client.get(path)

    assert response.get("Location") != FORM_URL


def test_staff_teachers_reach_the_admin_before_onboarding(client):
    staff = StaffUserFactory()
    TeacherFactory(user=staff)
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/onboarding/question/").status_code == 200
    assert client.get("/classes/")["Location"] == FORM_URL


def test_a_finished_teacher_goes_to_my_classes(finished_client):
    home = finished_client.get("/")

    assert home.status_code == 302
    assert home["Location"] == "/classes/"
    assert finished_client.get("/classes/").status_code == 200


def test_finishing_the_questionnaire_opens_the_site(teacher_client):
    assert teacher_client.get("/classes/").status_code == 302

    teacher_client.post(FORM_URL, shown_form_data(teacher_client.get(FORM_URL)))

    assert teacher_client.get("/classes/").status_code == 200


def test_a_finished_teacher_can_still_revise_their_answers(finished_client):
    response = finished_client.get(FORM_URL)

    assert response.status_code == 200
    assert "Your answers" in response.content.decode()


def test_a_reset_gates_the_teacher_again_on_the_next_page(finished_client, district_teacher):
    services.onboarding_reset(onboarding=Onboarding.objects.get(user=district_teacher.user))

    assert finished_client.get("/classes/")["Location"] == FORM_URL


@pytest.mark.parametrize("staff", [False, True])
def test_users_without_a_clever_teacher_are_not_gated(client, staff):
    client.force_login(StaffUserFactory() if staff else UserFactory())

    assert client.get("/classes/").status_code == 200
    assert client.get("/")["Location"] == "/classes/"


def test_a_teacher_row_without_a_user_gates_nobody(client):
    TeacherFactory(user=None)
    client.force_login(UserFactory())

    assert client.get("/classes/").status_code == 200


def test_anonymous_visitors_see_the_home_page(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Log in with Clever" in response.content.decode()


def count_queries(user, path: str) -> int:
    """Return the queries one request makes, with a fresh client (so the current MIDDLEWARE applies)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries)


@pytest.mark.parametrize("who", ["finished teacher", "not a teacher", "anonymous"])
def test_the_gate_adds_at_most_one_query(settings, district_teacher, who, django_assert_max_num_queries):
    user = {
        "finished teacher": district_teacher.user,
        "not a teacher": UserFactory(),
        "anonymous": None,
    }[who]
    Onboarding.objects.create(user=district_teacher.user, finished_at=timezone.now())
    path = "/" if user is None else "/classes/"
    with_gate = settings.MIDDLEWARE
    settings.MIDDLEWARE = [name for name in with_gate if name != GATE]
    without = count_queries(user, path)
    settings.MIDDLEWARE = with_gate
    added = 0 if user is None else 1

    client = Client()
    if user is not None:
        client.force_login(user)
    with django_assert_max_num_queries(without + added):
        response = client.get(path)

    assert response.status_code in (200, 302)
    assert response.get("Location") != FORM_URL
    assert count_queries(user, path) == without + added
