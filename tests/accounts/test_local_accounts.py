"""Email + password accounts through allauth, in our layout."""

import socket

import pytest
from django.contrib.auth import get_user
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_sign_in_page_offers_clever_and_email(client):
    page = client.get("/accounts/login/")

    text = page.content.decode()
    assert page.status_code == 200
    assert 'action="/accounts/clever/login/"' in text
    assert 'name="login"' in text
    assert 'name="password"' in text
    assert 'href="/"' in text  # our base layout


def test_sign_in_and_out_with_email_and_password(client):
    user = UserFactory(email="ada@example.org")

    signed_in = client.post("/accounts/login/", {"login": "ada@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert get_user(client).pk == user.pk

    assert "Are you sure you want to sign out?" in client.get("/accounts/logout/").content.decode()
    client.post("/accounts/logout/")
    assert not get_user(client).is_authenticated


def test_wrong_password_is_refused(client):
    UserFactory(email="ada@example.org")

    page = client.post("/accounts/login/", {"login": "ada@example.org", "password": "nope"})

    assert page.status_code == 200
    assert "not correct" in page.content.decode()
    assert not get_user(client).is_authenticated


@pytest.mark.parametrize("email", ["ada@example.org", "new@example.org"])
def test_sign_up_is_closed_and_says_the_same_whether_or_not_the_email_has_an_account(client, email):
    UserFactory(email="ada@example.org")

    page = client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Sign-up is closed" in text
    assert "already registered" not in text
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.org"]
    assert not get_user(client).is_authenticated


def test_the_sign_in_page_does_not_offer_sign_up(client):
    text = client.get("/accounts/login/").content.decode()

    assert "/accounts/signup/" not in text
    assert "Sign up" not in text


def test_a_password_reset_answers_alike_whether_or_not_the_email_has_an_account(client, mailoutbox):
    UserFactory(email="ada@example.org")

    known = client.post("/accounts/password/reset/", {"email": "ada@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert (known.status_code, known["Location"]) == (302, "/accounts/password/reset/done/")
    assert (unknown.status_code, unknown["Location"]) == (302, "/accounts/password/reset/done/")
    assert [message.to for message in mailoutbox] == [["ada@example.org"], ["nobody@example.org"]]
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body  # no account: no link to one


def test_password_reset_pages(client, mailoutbox):
    UserFactory(email="ada@example.org")

    assert client.get("/accounts/password/reset/").status_code == 200
    done = client.post("/accounts/password/reset/", {"email": "ada@example.org"}, follow=True)

    assert "Check your email" in done.content.decode()
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


@pytest.fixture
def mail_server_down(settings):
    """Mail goes over SMTP to a port where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port


@pytest.mark.parametrize("email", ["ada@example.org", "nobody@example.org"])
def test_a_password_reset_when_the_mail_server_is_down_says_so(client, mail_server_down, email):
    UserFactory(email="ada@example.org")

    page = client.post("/accounts/password/reset/", {"email": email})

    assert page.status_code == 503
    assert "Our mail server did not answer, so no email went out." in page.content.decode()


def test_adding_an_email_when_the_mail_server_is_down_says_so(client, mail_server_down):
    client.force_login(UserFactory(email="ada@example.org"))

    page = client.post("/accounts/email/", {"action_add": "", "email": "ada.work@example.org"})

    assert page.status_code == 503
    assert "Our mail server did not answer, so no email went out." in page.content.decode()


def test_demo_accounts_is_idempotent(settings):
    settings.DEBUG = True

    call_command("demo_accounts")
    call_command("demo_accounts")

    from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS

    for spec in DEMO_ACCOUNTS:
        user = User.objects.get(email__iexact=spec["email"])
        assert user.check_password(spec["password"])
        assert user.is_staff == spec["staff"]
    assert User.objects.count() == len(DEMO_ACCOUNTS)


def test_demo_accounts_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_accounts")

    assert not User.objects.exists()


def test_demo_teacher_can_sign_in(client, settings):
    settings.DEBUG = True
    call_command("demo_accounts")
    from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS

    teacher = next(spec for spec in DEMO_ACCOUNTS if not spec["staff"])
    client.post("/accounts/login/", {"login": teacher["email"], "password": teacher["password"]})

    assert get_user(client).email == teacher["email"]


def test_a_session_ends_with_the_browser_and_after_a_school_day(client):
    UserFactory(email="ada@example.org")

    signed_in = client.post("/accounts/login/", {"login": "ada@example.org", "password": PASSWORD})

    cookie = signed_in.cookies["sessionid"]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")  # a browser-session cookie
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert 'name="remember"' not in client.get("/accounts/login/").content.decode()
