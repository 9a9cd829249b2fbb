"""Log in with Clever, end to end: the product through the test client, Clever (the sandbox) over real HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user
from django.contrib.messages import get_messages

from accounts.models import User
from rosters.models import Sharing, Teacher
from sandbox import demo
from tests.clever_login import (
    clever_authorize,
    clever_callback,
    clever_login,
    clever_portal_launch,
    clever_start,
    product_get,
)
from tests.factories import CleverSocialAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

WELCOME = "/accounts/clever/welcome/"


def signed_in(client) -> User | None:
    user = get_user(client)
    return user if user.is_authenticated else None


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def nothing_provisioned() -> bool:
    return not (User.objects.exists() or SocialAccount.objects.exists() or Teacher.objects.exists())


# --- Starting a login -------------------------------------------------------------------


def test_login_starts_at_clever_with_a_state(client, clever_sandbox):
    url = clever_start(client)

    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{clever_sandbox.url}/oauth/authorize?")
    assert query["client_id"] == ["sandbox-client-id"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/accounts/clever/login/callback/"]
    assert len(query["state"][0]) >= 16
    assert clever_start(client) != url  # a fresh state every time


def test_get_on_the_login_url_asks_before_leaving_for_clever(client):
    page = client.get("/accounts/clever/login/")

    assert page.status_code == 200
    assert "Log in with Clever" in page.content.decode()
    assert 'method="post"' in page.content.decode()


def test_clever_hosts_are_read_at_request_time(client, settings):
    settings.CLEVER_OAUTH_BASE = "https://clever.example/elsewhere"

    assert clever_start(client).startswith("https://clever.example/elsewhere/oauth/authorize?")


def test_home_page_offers_log_in_with_clever(client):
    text = client.get("/").content.decode()

    assert 'action="/accounts/clever/login/"' in text
    assert "Log in with Clever" in text


# --- A new district teacher ---------------------------------------------------------------


def test_new_district_teacher_is_asked_then_gets_a_premium_account(client, clever_sandbox):
    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert trip.response.status_code == 302
    assert trip.response["Location"] == WELCOME
    assert nothing_provisioned()  # nothing is written before the teacher answers
    question = client.get(WELCOME).content.decode()
    assert "Do you already have an account here?" in question
    assert "Zoë" in question

    created = client.post("/accounts/clever/welcome/create/")

    assert created.status_code == 302
    user = signed_in(client)
    assert user is not None
    assert (user.first_name, user.last_name, user.email) == ("Zoë", "O'Brien", "zoe.obrien@demodistrict.example")
    assert user.plan == User.Plan.PREMIUM
    assert not user.has_usable_password()
    teacher = Teacher.objects.get(clever_id=demo.ZOE_OBRIEN)
    assert teacher.user == user
    assert (teacher.sharing, teacher.district_id, teacher.title) == (Sharing.DISTRICT, demo.DISTRICT, "Math Teacher")
    assert SocialAccount.objects.get(provider="clever", uid=demo.ZOE_OBRIEN).user == user
    assert "Welcome! We created your account from your Clever profile." in messages_of(created)
    # teacher_login_sync ran: her classes arrived, and her token is kept (encrypted) for later syncs.
    assert set(teacher.sections.values_list("clever_id", flat=True)) >= {demo.ALGEBRA_I, demo.STEM_LAB}
    assert teacher.token == clever_sandbox.state.user_token(demo.ZOE_OBRIEN)


def test_returning_teacher_goes_straight_in(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    first = signed_in(client)
    client.post("/accounts/logout/")

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert trip.response.status_code == 302
    assert trip.response["Location"] == "/"
    assert signed_in(client) == first
    assert User.objects.count() == 1


def test_teacher_without_email_still_gets_an_account(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.RUTH_OKAFOR)

    user = signed_in(client)
    assert (user.first_name, user.email) == ("Ruth", "")
    assert user.teacher.clever_id == demo.RUTH_OKAFOR


def test_new_library_teacher_gets_a_trial_shown_with_its_end_date(client, clever_sandbox, account_page):
    clever_login(client, clever_sandbox, user_id=demo.HANNAH_MULLER)

    user = signed_in(client)
    assert user.plan == User.Plan.TRIAL
    assert user.trial_active
    assert (user.teacher.sharing, user.teacher.district_id) == (Sharing.LIBRARY, "")
    assert "Free trial from the Clever Library until" in account_page(user).content.decode()


def test_library_teacher_moves_to_premium_when_the_district_shares_them(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.PRIYA_RAMAN)
    client.post("/accounts/logout/")
    clever_sandbox.state.share_teacher_with_district(
        demo.PRIYA_RAMAN, district_id=demo.DISTRICT, school_id=demo.MAPLE_GROVE
    )

    clever_callback(client, clever_sandbox, user_id=demo.PRIYA_RAMAN)

    user = signed_in(client)
    assert user.plan == User.Plan.PREMIUM
    assert (user.teacher.sharing, user.teacher.district_id) == (Sharing.DISTRICT, demo.DISTRICT)
    assert User.objects.count() == 1


def test_a_plan_staff_set_survives_the_next_login(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.HANNAH_MULLER)
    User.objects.update(plan=User.Plan.PREMIUM)
    client.post("/accounts/logout/")

    clever_callback(client, clever_sandbox, user_id=demo.HANNAH_MULLER)

    assert signed_in(client).plan == User.Plan.PREMIUM


# --- Clever-initiated logins -------------------------------------------------------------


def test_portal_launch_without_state_is_restarted_then_signed_in(client, clever_sandbox):
    launch = clever_portal_launch(clever_sandbox, user_id=demo.ZOE_OBRIEN)
    assert "state=" not in launch

    bounce = product_get(client, launch)

    assert bounce.status_code == 302
    assert bounce["Location"].startswith(f"{clever_sandbox.url}/oauth/authorize?")
    assert parse_qs(urlsplit(bounce["Location"]).query)["state"][0]
    assert clever_sandbox.state.count_calls("/oauth/tokens", method="POST") == 0  # that code is never exchanged

    answer = product_get(client, clever_authorize(bounce["Location"], user_id=demo.ZOE_OBRIEN))
    assert answer["Location"] == WELCOME
    client.post("/accounts/clever/welcome/create/")
    assert signed_in(client).teacher.clever_id == demo.ZOE_OBRIEN


def test_portal_launch_of_a_known_teacher_signs_them_in_after_the_bounce(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.JOSE_NUNEZ)
    user = signed_in(client)
    client.post("/accounts/logout/")

    bounce = product_get(client, clever_portal_launch(clever_sandbox, user_id=demo.JOSE_NUNEZ))
    product_get(client, clever_authorize(bounce["Location"], user_id=demo.JOSE_NUNEZ))

    assert signed_in(client) == user


def test_the_restart_keeps_the_district_id(client, clever_sandbox):
    bounce = client.get("/accounts/clever/login/callback/", {"code": "from-the-portal", "district_id": demo.DISTRICT})

    query = parse_qs(urlsplit(bounce["Location"]).query)
    assert query["district_id"] == [demo.DISTRICT]
    assert query["state"][0]
    assert clever_sandbox.state.count_calls("/oauth/tokens", method="POST") == 0


# --- Who may not sign in ----------------------------------------------------------------


@pytest.mark.parametrize(
    "user_id", [demo.MAYA_RODRIGUEZ, demo.LIBRARY_STUDENT, demo.SCHOOL_ADMIN, demo.DISTRICT_ADMIN]
)
def test_students_and_admins_get_a_polite_refusal_and_no_account(client, clever_sandbox, user_id):
    trip = clever_callback(client, clever_sandbox, user_id=user_id)

    assert trip.response.status_code == 403
    assert "This app is for teachers" in trip.response.content.decode()
    assert signed_in(client) is None
    assert nothing_provisioned()


# --- Where a login lands ----------------------------------------------------------------


def test_a_safe_next_is_followed(client, clever_sandbox):
    response = clever_login(client, clever_sandbox, user_id=demo.LIAM_CHEN, next_url="/account/")

    assert response["Location"] == "/account/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "http://evil.example/account/"])
def test_an_unsafe_next_never_leaves_the_site(client, clever_sandbox, next_url):
    first = clever_login(client, clever_sandbox, user_id=demo.LIAM_CHEN, next_url=next_url)
    client.post("/accounts/logout/")
    again = clever_callback(client, clever_sandbox, user_id=demo.LIAM_CHEN, next_url=next_url).response

    for response in (first, again):
        assert response["Location"] == "/"
    assert signed_in(client) is not None


def test_unsafe_next_on_the_login_url_itself(client, clever_sandbox):
    start = client.post("/accounts/clever/login/?next=https://evil.example/")
    product_get(client, clever_authorize(start["Location"], user_id=demo.LIAM_CHEN))

    created = client.post("/accounts/clever/welcome/create/")

    assert created["Location"] == "/"


def test_clever_cannot_be_disconnected_by_the_teacher(client):
    # A merged account has a password, so only our rule stops the removal.
    account = CleverSocialAccountFactory(user=UserFactory())
    client.force_login(account.user)

    page = client.post("/accounts/3rdparty/", {"account": account.pk})

    assert "Your Clever connection cannot be removed here." in page.content.decode()
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_demo_teacher_shares_her_email_with_a_sandbox_library_teacher(clever_sandbox):
    from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS

    teacher = next(spec for spec in DEMO_ACCOUNTS if not spec["staff"])
    library_teacher = clever_sandbox.state.get("teachers", demo.PRIYA_RAMAN)

    assert library_teacher["email"] == teacher["email"]
    assert "district" not in library_teacher


def test_other_users_are_untouched(client, clever_sandbox):
    bystander = UserFactory(plan=User.Plan.FREE)

    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert User.objects.get(pk=bystander.pk).plan == User.Plan.FREE
    assert signed_in(client) != bystander


def test_request_parameters_cannot_redirect_the_login_elsewhere(client, clever_sandbox):
    url = clever_start_with_query(client, "auth_params=redirect_uri%3Dhttps%3A%2F%2Fevil.example%2F%26state%3Dx")

    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["http://testserver/accounts/clever/login/callback/"]
    assert query["state"] != ["x"]


def clever_start_with_query(client, query: str) -> str:
    response = client.post(f"/accounts/clever/login/?{query}")
    assert response.status_code == 302
    return response["Location"]


def test_a_teacher_row_owned_by_another_account_is_refused_not_stolen(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.JOSE_NUNEZ)
    owner = signed_in(client)
    client.post("/accounts/logout/")
    someone_else = UserFactory()
    Teacher.objects.filter(clever_id=demo.JOSE_NUNEZ).update(user=someone_else)  # e.g. an admin's edit

    trip = clever_callback(client, clever_sandbox, user_id=demo.JOSE_NUNEZ)

    assert trip.response.status_code == 409
    assert "already connected to another account" in trip.response.content.decode()
    assert signed_in(client) is None
    assert Teacher.objects.get(clever_id=demo.JOSE_NUNEZ).user == someone_else
    assert SocialAccount.objects.get(uid=demo.JOSE_NUNEZ).user == owner


def test_a_clever_session_ends_with_the_browser_and_after_a_school_day(client, clever_sandbox):
    response = clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    cookie = response.cookies["sessionid"]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")  # a browser-session cookie
    assert client.session.get_expiry_age() == 8 * 60 * 60
