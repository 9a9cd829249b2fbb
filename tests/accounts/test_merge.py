"""Merging a new Clever identity into an account that already exists here ("Yes, I have an account")."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from accounts.clever.pending import PendingLoginExpired, pending_login_get, pending_login_stash
from accounts.clever.profile import CleverProfile
from accounts.models import User
from audit.models import AuditEvent
from rosters.models import Sharing, Teacher
from sandbox import demo
from tests.clever_login import clever_callback, clever_login
from tests.factories import UserFactory, clever_teacher_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PRIYA_EMAIL = "priya.raman@example.com"  # the sandbox's Library teacher Priya Raman
LINK = "/accounts/clever/welcome/link/"
CREATE = "/accounts/clever/welcome/create/"
WRONG = "The email address or password is not correct."
LOCKED = "Too many failed login attempts. Try again later."


def signed_in(client):
    user = get_user(client)
    return user if user.is_authenticated else None


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def local_priya():
    """Priya's local email/password account, from before her school used Clever."""
    return UserFactory(email=PRIYA_EMAIL, first_name="Priya", last_name="Raman")


@pytest.fixture
def priya_pending(client, clever_sandbox, local_priya):
    """Priya has just logged in with Clever (Library) and is asked whether she has an account."""
    trip = clever_callback(client, clever_sandbox, user_id=demo.PRIYA_RAMAN)
    assert trip.response["Location"] == "/accounts/clever/welcome/"
    return client


def test_library_teacher_with_a_local_account_merges_into_it(priya_pending, local_priya):
    client = priya_pending

    merged = client.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert merged.status_code == 302
    assert signed_in(client) == local_priya
    assert SocialAccount.objects.get(provider="clever", uid=demo.PRIYA_RAMAN).user == local_priya
    teacher = Teacher.objects.get(clever_id=demo.PRIYA_RAMAN)
    assert (teacher.user, teacher.sharing, teacher.district_id) == (local_priya, Sharing.LIBRARY, "")
    user = User.objects.get(pk=local_priya.pk)
    assert user.plan == User.Plan.TRIAL
    assert user.trial_active
    assert User.objects.count() == 1
    assert any("Your Clever account is now connected to this account" in m for m in messages_of(merged))
    assert any("signed out everywhere else" in m for m in messages_of(merged))


def test_same_email_is_offered_the_merge_never_linked_automatically(priya_pending, local_priya):
    page = priya_pending.get("/accounts/clever/welcome/")

    text = page.content.decode()
    assert f"An account here already uses {PRIYA_EMAIL}" in text
    assert f'value="{PRIYA_EMAIL}"' in text  # the email field is pre-filled
    assert not SocialAccount.objects.exists()
    assert signed_in(priya_pending) is None


def test_the_merge_rotates_the_session_key_and_ends_the_accounts_other_sessions(priya_pending, local_priya):
    elsewhere = Client()
    elsewhere.force_login(local_priya)
    assert elsewhere.get("/account/").status_code == 200
    key_before = priya_pending.session.session_key

    priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert priya_pending.session.session_key != key_before
    assert signed_in(priya_pending) == local_priya
    assert signed_in(elsewhere) is None
    signed_out = elsewhere.get("/account/")
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/accounts/login/")


def test_after_the_merge_clever_brings_her_straight_in(priya_pending, local_priya, clever_sandbox):
    priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})
    priya_pending.post("/accounts/logout/")

    again = clever_callback(priya_pending, clever_sandbox, user_id=demo.PRIYA_RAMAN)

    assert again.response["Location"] == "/"
    assert signed_in(priya_pending) == local_priya


@pytest.mark.parametrize("email", [PRIYA_EMAIL, "nobody@example.org"])
def test_wrong_credentials_get_the_same_answer_whether_or_not_the_account_exists(priya_pending, email):
    page = priya_pending.post(LINK, {"email": email, "password": "not her password"})

    assert page.status_code == 400
    assert WRONG in page.content.decode()
    assert signed_in(priya_pending) is None
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize("email", [PRIYA_EMAIL, "nobody@example.org"])
def test_five_wrong_passwords_lock_merging_for_that_account(priya_pending, local_priya, email):
    for _ in range(5):
        assert WRONG in priya_pending.post(LINK, {"email": email, "password": "guess"}).content.decode()

    locked = priya_pending.post(LINK, {"email": email, "password": PASSWORD})

    assert locked.status_code == 400
    assert LOCKED in locked.content.decode()
    assert not SocialAccount.objects.exists()
    # The lock is per account: another email still gets an honest answer.
    assert WRONG in priya_pending.post(LINK, {"email": "other@example.org", "password": "x"}).content.decode()


def test_the_lock_holds_on_the_sign_in_page_too(priya_pending, local_priya):
    for _ in range(5):
        priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": "guess"})

    page = priya_pending.post("/accounts/login/", {"login": PRIYA_EMAIL, "password": PASSWORD})

    assert LOCKED in page.content.decode()
    assert signed_in(priya_pending) is None


def test_ten_failures_a_minute_from_one_ip_lock_merging(priya_pending, local_priya):
    for n in range(10):
        priya_pending.post(LINK, {"email": f"guess{n}@example.org", "password": "guess"})

    locked = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert LOCKED in locked.content.decode()
    assert not SocialAccount.objects.exists()


def test_the_pending_identity_expires(priya_pending, settings):
    settings.CLEVER_PENDING_LOGIN_MAX_AGE = 0  # as if the 5 minutes had passed

    page = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert page.status_code == 410
    assert "Please start again" in page.content.decode()
    assert signed_in(priya_pending) is None
    assert not SocialAccount.objects.exists()
    assert priya_pending.get("/accounts/clever/welcome/")["Location"] == "/"  # forgotten


def test_the_pending_identity_is_kept_encrypted_in_the_session(priya_pending, clever_sandbox):
    stored = str(dict(priya_pending.session.items()))

    assert clever_sandbox.state.user_token(demo.PRIYA_RAMAN) not in stored
    assert demo.PRIYA_RAMAN not in stored


def test_an_account_that_already_has_clever_is_refused(client, clever_sandbox):
    linked = clever_teacher_user(email="already@example.org")
    clever_callback(client, clever_sandbox, user_id=demo.HANNAH_MULLER)

    page = client.post(LINK, {"email": "already@example.org", "password": PASSWORD})

    assert page.status_code == 409
    assert "already connected to a Clever account" in page.content.decode()
    assert signed_in(client) is None
    assert not SocialAccount.objects.filter(uid=demo.HANNAH_MULLER).exists()
    assert SocialAccount.objects.get(user=linked).uid == linked.teacher.clever_id


def test_a_clever_identity_linked_in_the_meantime_is_refused(priya_pending, local_priya, clever_sandbox):
    # In another browser, Priya answered "No" first and got a new account.
    other = Client()
    clever_login(other, clever_sandbox, user_id=demo.PRIYA_RAMAN)
    winner = signed_in(other)

    page = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert page.status_code == 409
    assert "already connected to another account" in page.content.decode()
    assert not SocialAccount.objects.filter(user=local_priya).exists()
    assert User.objects.get(pk=local_priya.pk).session_stamp == local_priya.session_stamp
    # "No, I am new here" now signs her in to the account that won.
    priya_pending.post(CREATE)
    assert signed_in(priya_pending) == winner


def test_create_does_not_take_an_email_a_local_account_uses(priya_pending, local_priya):
    created = priya_pending.post(CREATE)

    user = signed_in(priya_pending)
    assert user != local_priya
    assert user.email == ""
    assert user.teacher.clever_id == demo.PRIYA_RAMAN
    assert any(f"Another account here already uses {PRIYA_EMAIL}" in m for m in messages_of(created))
    assert User.objects.get(pk=local_priya.pk).email == PRIYA_EMAIL
    assert not SocialAccount.objects.filter(user=local_priya).exists()


def test_a_password_is_needed_for_the_merge(priya_pending):
    page = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": ""})

    assert page.status_code == 400
    assert "This field is required." in page.content.decode()
    assert not SocialAccount.objects.exists()


# --- Staff accounts are never linked to Clever --------------------------------------------


@pytest.mark.parametrize("role", [{"is_staff": True}, {"is_superuser": True}])
def test_a_staff_or_superuser_account_is_never_merged_with_clever(priya_pending, local_priya, role):
    User.objects.filter(pk=local_priya.pk).update(**role)

    page = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert page.status_code == 403
    assert "That is a staff account: it cannot be connected to Clever" in page.content.decode()
    assert signed_in(priya_pending) is None
    assert not SocialAccount.objects.exists()
    assert not Teacher.objects.filter(user=local_priya).exists()
    assert User.objects.get(pk=local_priya.pk).session_stamp == local_priya.session_stamp
    event = AuditEvent.objects.get()
    assert (event.action, event.target_type, event.target_id, event.detail) == (
        "clever_merge_refused",
        "user",
        str(local_priya.pk),
        f"StaffAccount; Clever teacher {demo.PRIYA_RAMAN}",
    )
    assert event.ip == "127.0.0.1"


def test_a_clever_login_into_an_account_later_made_staff_is_refused(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    user = signed_in(client)
    client.post("/accounts/logout/")
    User.objects.filter(pk=user.pk).update(is_staff=True)  # staff ticked "Staff status" in the admin

    again = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert again.response.status_code == 403
    assert "Log in with Clever does not open it" in again.response.content.decode()
    assert signed_in(client) is None
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_an_account_created_from_clever_is_never_staff(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    user = User.objects.get(socialaccount__uid=demo.ZOE_OBRIEN)
    assert (user.is_staff, user.is_superuser, list(user.user_permissions.all()), list(user.groups.all())) == (
        False,
        False,
        [],
        [],
    )


# --- Shared classroom computers -------------------------------------------------------------


def test_the_question_names_whose_clever_account_is_being_connected(priya_pending):
    text = priya_pending.get("/accounts/clever/welcome/").content.decode()

    who = text[text.index('id="who"') : text.index("</div>", text.index('id="who"'))]
    assert "<dd>Priya Raman</dd>" in who
    assert f"<dd>{PRIYA_EMAIL}</dd>" in who
    assert "through the Clever Library" in who
    assert "Sign out of Clever" in who


def test_not_you_forgets_the_clever_identity_and_signs_out_of_clever(priya_pending, local_priya, clever_sandbox):
    cancelled = priya_pending.post("/accounts/clever/welcome/cancel/")

    # Clever (here the sandbox) forgets who signed in on this browser, then sends them home.
    assert cancelled["Location"] == f"{clever_sandbox.url}/signout?next=http%3A%2F%2Ftestserver%2F"
    assert any("We forgot that Clever sign-in" in m for m in messages_of(cancelled))
    # The next person at this computer cannot complete it with their own password.
    page = priya_pending.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})
    assert page["Location"] == "/"
    assert signed_in(priya_pending) is None
    assert not SocialAccount.objects.exists()


def test_a_pending_clever_identity_is_kept_five_minutes(rf):
    request = rf.get("/")
    request.session = SessionStore()
    profile = CleverProfile(
        clever_id=demo.PRIYA_RAMAN,
        user_type="teacher",
        district_id="",
        authorized_by="",
        sharing="library",
        first_name="Priya",
    )
    stashed = 1_700_000_000.0
    pending_login_stash(request, profile=profile, token="token", now=stashed)

    assert pending_login_get(request, now=stashed + 299).profile == profile
    with pytest.raises(PendingLoginExpired):
        pending_login_get(request, now=stashed + 301)
    assert pending_login_get(request, now=stashed + 1) is None  # forgotten once expired


def test_an_expired_clever_identity_says_how_long_it_waited(priya_pending, settings):
    settings.CLEVER_PENDING_LOGIN_MAX_AGE = 0

    page = priya_pending.get("/accounts/clever/welcome/")

    assert page.status_code == 410
    assert "waited more than 1 minute" in page.content.decode()
