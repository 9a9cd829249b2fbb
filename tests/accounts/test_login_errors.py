"""Logins that go wrong: a clear page, nothing exchanged or created when it should not be."""

from urllib.parse import urlencode

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user

from accounts.models import User
from rosters.models import Teacher
from sandbox import demo
from tests.clever_login import clever_authorize, clever_callback, clever_login, clever_start, product_get

pytestmark = pytest.mark.django_db

EXPIRED_OR_USED = "This sign-in link has expired or was already used"
TRY_AGAIN = '<form method="post" action="/accounts/clever/login/"'


def signed_in(client) -> bool:
    return get_user(client).is_authenticated


def nothing_provisioned() -> bool:
    return not (User.objects.exists() or SocialAccount.objects.exists() or Teacher.objects.exists())


def token_exchanges(clever_sandbox) -> int:
    return clever_sandbox.state.count_calls("/oauth/tokens", method="POST")


def test_a_wrong_state_is_refused_without_exchanging_the_code(client, clever_sandbox):
    callback = clever_authorize(clever_start(client), user_id=demo.ZOE_OBRIEN)
    forged = callback.replace("state=", "state=forged")

    page = product_get(client, forged)

    assert page.status_code == 401
    assert "Sign-in with Clever did not work" in page.content.decode()
    assert EXPIRED_OR_USED in page.content.decode()
    assert TRY_AGAIN in page.content.decode()
    assert token_exchanges(clever_sandbox) == 0
    assert nothing_provisioned()


def test_a_state_from_another_browser_is_refused(client, clever_sandbox):
    from django.test import Client

    callback = clever_authorize(clever_start(Client()), user_id=demo.ZOE_OBRIEN)

    page = product_get(client, callback)

    assert page.status_code == 401
    assert token_exchanges(clever_sandbox) == 0
    assert not signed_in(client)


def test_a_replayed_callback_is_refused_and_not_exchanged_again(client, clever_sandbox):
    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    client.post("/accounts/clever/welcome/create/")
    client.post("/accounts/logout/")

    replay = product_get(client, trip.callback_url)

    assert replay.status_code == 401
    assert EXPIRED_OR_USED in replay.content.decode()
    assert token_exchanges(clever_sandbox) == 1
    assert not signed_in(client)


def test_a_used_code_with_a_fresh_state_is_refused_by_clever(client, clever_sandbox):
    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    fresh_state = clever_authorize(clever_start(client), user_id=demo.ZOE_OBRIEN).split("state=")[1].split("&")[0]

    page = client.get("/accounts/clever/login/callback/", {"code": trip.code, "state": fresh_state})

    assert page.status_code == 401
    assert "The sign-in with Clever could not be completed. Please try again." in page.content.decode()
    assert trip.code not in page.content.decode()
    assert nothing_provisioned()


def test_cancelling_at_clever_shows_a_clear_page(client, clever_sandbox):
    callback = clever_authorize(clever_start(client), cancel=True)
    assert "error=access_denied" in callback

    page = product_get(client, callback, follow=True)

    assert "Sign-in cancelled" in page.content.decode()
    assert "nothing was changed" in page.content.decode()
    assert token_exchanges(clever_sandbox) == 0
    assert not signed_in(client)


def test_an_error_from_clever_without_state(client, clever_sandbox):
    page = client.get("/accounts/clever/login/callback/?" + urlencode({"error": "server_error"}))

    assert page.status_code == 401
    assert "Sign-in with Clever did not work" in page.content.decode()
    assert token_exchanges(clever_sandbox) == 0


@pytest.mark.parametrize(
    ("path", "fault", "message"),
    [
        ("/v2.1/me", 503, "Clever is not responding right now"),
        ("/v2.1/me", "html", "Clever sent a reply we could not read"),
        ("/v2.1/me", "reset", "Clever is not responding right now"),
        ("/v2.1/me", "data_null", "Clever sent a reply we could not read"),
        ("/v2.1/me", "no_id", "Clever sent a reply we could not read"),
        ("/v2.0/teachers/*", 503, "Clever is not responding right now"),
        ("/v2.0/teachers/*", "cut_off", "Clever is not responding right now"),
        ("/oauth/tokens", 503, "Clever is not responding right now"),
        ("/oauth/tokens", "reset", "Clever is not responding right now"),
    ],
)
def test_clever_down_gives_a_try_again_page_and_creates_nothing(client, clever_sandbox, path, fault, message):
    clever_sandbox.state.add_fault(path, fault, times=None)

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    text = trip.response.content.decode()
    assert trip.response.status_code == 401
    assert message in text
    assert TRY_AGAIN in text
    assert ">Log in with Clever</button>" in text
    assert "Please start again" not in text  # one sentence says what to do, not two
    assert not signed_in(client)
    assert nothing_provisioned()


def test_me_timing_out_gives_a_try_again_page_and_creates_nothing(client, clever_sandbox, settings):
    settings.CLEVER_HTTP_TIMEOUT = 0.3
    clever_sandbox.state.add_fault("/v2.1/me", "hang", times=None)  # no answer until the test ends

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert trip.response.status_code == 401
    assert "Clever is not responding right now" in trip.response.content.decode()
    assert TRY_AGAIN in trip.response.content.decode()
    assert nothing_provisioned()


@pytest.mark.parametrize("retry_after", ["soon", "0"])
def test_a_short_rate_limit_at_sign_in_is_waited_out_whatever_its_retry_after(client, clever_sandbox, retry_after):
    # X-RateLimit-Reset says now; "soon" (unreadable) must count as absent, not fail the login.
    clever_sandbox.state.add_fault("/v2.1/me", 429, reset_in=0, headers={"Retry-After": retry_after})

    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert signed_in(client)
    assert clever_sandbox.state.count_calls("/v2.1/me") == 2


def test_try_again_after_clever_recovers(client, clever_sandbox):
    clever_sandbox.state.add_fault("/v2.1/me", 503, times=None)
    clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    clever_sandbox.state.clear_faults()

    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert signed_in(client)
    assert User.objects.count() == 1


def test_a_returning_teacher_is_not_changed_when_clever_fails(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    client.post("/accounts/logout/")
    clever_sandbox.state.add_fault("/v2.0/teachers/*", 503, times=None)

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert trip.response.status_code == 401
    assert not signed_in(client)
    assert User.objects.count() == 1


@pytest.mark.parametrize("path", ["/v2.1/me", "/v2.0/teachers/*"])
def test_a_rate_limit_with_a_malformed_retry_after_gives_a_try_again_page(client, clever_sandbox, path):
    # A 429 whose Retry-After cannot be read: its X-RateLimit-Reset (a minute away, longer than
    # we wait during a login) decides, and the teacher is told Clever is busy, never a 500.
    clever_sandbox.state.add_fault(path, 429, reset_in=60, times=None, headers={"Retry-After": "soon"})

    trip = clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert trip.response.status_code == 401
    assert "Clever is busy right now. Please try again in a minute." in trip.response.content.decode()
    assert TRY_AGAIN in trip.response.content.decode()
    assert nothing_provisioned()
    sent = [call for call in clever_sandbox.state.calls if call.status == 429]
    assert sent, "the sandbox sent no 429"


def test_the_sandbox_sends_the_malformed_retry_after_over_http(clever_sandbox):
    clever_sandbox.state.add_fault("/v2.1/me", 429, headers={"Retry-After": "soon"})

    answer = requests.get(f"{clever_sandbox.url}/v2.1/me", headers={"Authorization": "Bearer x"}, timeout=15)

    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "soon")
