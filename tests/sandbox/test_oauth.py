"""The OAuth flow against the sandbox, over real HTTP, as the product and a browser drive it."""

import json

import pytest
import requests

from sandbox import demo
from tests.clock import START, FakeClock

from .helpers import (
    CLIENT,
    TIMEOUT,
    api_get,
    authorize_params,
    callback_uri,
    choose,
    code_for,
    exchange,
    query_of,
)


def test_sign_in_page_lists_teachers_students_admins_and_library_users(clever_sandbox):
    response = requests.get(
        f"{clever_sandbox.url}/oauth/authorize", params=authorize_params(clever_sandbox), timeout=TIMEOUT
    )

    assert response.status_code == 200
    page = response.text
    for user_id in (
        demo.ZOE_OBRIEN,
        demo.RUTH_OKAFOR,
        demo.MAYA_RODRIGUEZ,
        demo.SCHOOL_ADMIN,
        demo.DISTRICT_ADMIN,
        demo.PRIYA_RAMAN,
        demo.LIBRARY_STUDENT,
    ):
        assert f'value="{user_id}"' in page
    assert "Zoë O&#x27;Brien" in page
    assert "Demo District" in page
    assert "Clever Library" in page
    # The form posts back with the original parameters, state included.
    assert 'name="state" value="s1"' in page


def test_district_id_narrows_the_sign_in_page_to_that_district(clever_sandbox):
    params = authorize_params(clever_sandbox, district_id=demo.DISTRICT)
    page = requests.get(f"{clever_sandbox.url}/oauth/authorize", params=params, timeout=TIMEOUT).text

    assert f'value="{demo.ZOE_OBRIEN}"' in page
    assert f'value="{demo.PRIYA_RAMAN}"' not in page


def test_round_trip_code_state_token_and_me(clever_sandbox):
    response = choose(clever_sandbox, demo.ZOE_OBRIEN, state="abc 123/?")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(callback_uri(clever_sandbox) + "?")
    query = query_of(location)
    assert query["state"] == "abc 123/?"
    tokens = exchange(clever_sandbox, query["code"])
    assert tokens.status_code == 200
    assert tokens.json()["token_type"] == "bearer"
    token = tokens.json()["access_token"]
    assert token.startswith("il")

    me = api_get(clever_sandbox, "/v2.1/me", token).json()
    assert me["type"] == "teacher"
    assert me["data"] == {
        "id": demo.ZOE_OBRIEN,
        "type": "teacher",
        "district": demo.DISTRICT,
        "authorized_by": "district",
    }


def test_no_state_param_when_none_was_given(clever_sandbox):
    response = choose(clever_sandbox, demo.ZOE_OBRIEN, state=None)

    assert response.status_code == 302
    assert "state" not in query_of(response.headers["Location"])
    assert "code" in query_of(response.headers["Location"])


def test_cancel_redirects_with_access_denied_and_state(clever_sandbox):
    response = requests.post(
        f"{clever_sandbox.url}/oauth/authorize",
        params=authorize_params(clever_sandbox, state="keep-me"),
        data={"action": "cancel"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {"error": "access_denied", "state": "keep-me"}


def test_the_same_token_after_a_restart_of_the_sandbox(clever_sandbox):
    first = exchange(clever_sandbox, code_for(clever_sandbox, demo.JOSE_NUNEZ)).json()["access_token"]
    clever_sandbox.state.reset()
    second = exchange(clever_sandbox, code_for(clever_sandbox, demo.JOSE_NUNEZ)).json()["access_token"]

    assert first == second
    assert api_get(clever_sandbox, "/v2.0/me", first).status_code == 200


def test_token_exchange_accepts_a_json_body(clever_sandbox):
    code = code_for(clever_sandbox, demo.RUTH_OKAFOR)
    body = {"code": code, "grant_type": "authorization_code", "redirect_uri": callback_uri(clever_sandbox)}

    response = requests.post(f"{clever_sandbox.url}/oauth/tokens", json=body, auth=CLIENT, timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json()["access_token"].startswith("il")


def test_admins_and_students_can_sign_in_with_their_own_type(clever_sandbox):
    for user_id, user_type in (
        (demo.SCHOOL_ADMIN, "school_admin"),
        (demo.DISTRICT_ADMIN, "district_admin"),
        (demo.MAYA_RODRIGUEZ, "student"),
    ):
        token = exchange(clever_sandbox, code_for(clever_sandbox, user_id)).json()["access_token"]
        me = api_get(clever_sandbox, "/v2.0/me", token).json()
        assert (me["type"], me["data"]["type"], me["data"]["id"]) == (user_type, user_type, user_id)


# --- The authorize request's own errors: an error page, never a redirect ----------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"client_id": "someone-else"}, "Unknown client_id"),
        ({"response_type": None}, "response_type"),
        ({"response_type": "token"}, "response_type"),
        ({"redirect_uri": "https://evil.example/accounts/clever/login/callback/"}, "not registered"),
        ({"redirect_uri": "http://127.0.0.1/elsewhere/"}, "not registered"),
        ({"redirect_uri": None}, "redirect_uri"),
    ],
)
def test_bad_authorize_requests_get_an_error_page(clever_sandbox, overrides, words):
    params = authorize_params(clever_sandbox, **overrides)

    page = requests.get(f"{clever_sandbox.url}/oauth/authorize", params=params, timeout=TIMEOUT, allow_redirects=False)
    chosen = requests.post(
        f"{clever_sandbox.url}/oauth/authorize",
        params=params,
        data={"user_id": demo.ZOE_OBRIEN},
        timeout=TIMEOUT,
        allow_redirects=False,
    )

    for response in (page, chosen):
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert words in response.text


def test_unknown_user_id_is_refused_on_the_page(clever_sandbox):
    response = choose(clever_sandbox, "ffffffffffffffffffffffff")

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "ffffffffffffffffffffffff" in response.text


def test_configured_redirect_uris_replace_the_derived_ones(clever_sandbox, settings):
    settings.CLEVER_SANDBOX_REDIRECT_URIS = ["https://app.example/clever/callback"]

    derived = choose(clever_sandbox, demo.ZOE_OBRIEN)
    configured = choose(clever_sandbox, demo.ZOE_OBRIEN, redirect_uri="https://app.example/clever/callback")

    assert derived.status_code == 400
    assert configured.status_code == 302
    assert configured.headers["Location"].startswith("https://app.example/clever/callback?code=")


# --- Token endpoint errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, ("sandbox-client-id", "wrong-secret"), ("someone-else", "sandbox-client-secret")],
)
def test_bad_or_missing_client_auth_is_401_invalid_client(clever_sandbox, auth):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    response = exchange(clever_sandbox, code, auth=auth)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_code_works_once(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    first = exchange(clever_sandbox, code)
    second = exchange(clever_sandbox, code)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert second.json()["error_description"]


def test_an_expired_code_is_invalid_grant(clever_sandbox):
    clever_sandbox.state.set_options(code_lifetime=0)
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    response = exchange(clever_sandbox, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


@pytest.mark.parametrize(("seconds_later", "answer"), [(59.9, "access_token"), (60, "error")])
def test_a_code_lives_a_minute_on_the_sandboxs_clock(clever_sandbox, seconds_later, answer):
    clock = FakeClock(START)
    clever_sandbox.state.set_clock(clock)
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    clock.advance(seconds_later)

    assert answer in exchange(clever_sandbox, code).json()


def test_expire_codes_expires_outstanding_codes(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)
    clever_sandbox.state.expire_codes()

    assert exchange(clever_sandbox, code).json()["error"] == "invalid_grant"


def test_a_different_redirect_uri_is_invalid_grant_and_spends_the_code(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)

    wrong = exchange(clever_sandbox, code, redirect_uri="http://localhost/accounts/clever/login/callback/")
    right = exchange(clever_sandbox, code)

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 400


def test_unknown_code_is_invalid_grant(clever_sandbox):
    response = exchange(clever_sandbox, "not-a-code")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("grant_type", "error"),
    [(None, "invalid_request"), ("", "invalid_request"), ("client_credentials", "unsupported_grant_type")],
)
def test_grant_type_must_be_authorization_code(clever_sandbox, grant_type, error):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)
    data = {"code": code, "redirect_uri": callback_uri(clever_sandbox)}
    if grant_type is not None:
        data["grant_type"] = grant_type

    response = requests.post(f"{clever_sandbox.url}/oauth/tokens", data=data, auth=CLIENT, timeout=TIMEOUT)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_multipart_body_is_refused(clever_sandbox):
    code = code_for(clever_sandbox, demo.ZOE_OBRIEN)
    fields = {"code": code, "grant_type": "authorization_code", "redirect_uri": callback_uri(clever_sandbox)}

    response = requests.post(
        f"{clever_sandbox.url}/oauth/tokens",
        files={key: (None, value) for key, value in fields.items()},
        auth=CLIENT,
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    # The code was not spent by the refused request.
    assert exchange(clever_sandbox, code).status_code == 200


def test_malformed_json_body_is_invalid_request(clever_sandbox):
    response = requests.post(
        f"{clever_sandbox.url}/oauth/tokens",
        data="{not json",
        headers={"Content-Type": "application/json"},
        auth=CLIENT,
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert json.loads(response.text)["error"] == "invalid_request"


# --- District-app tokens and tokeninfo ---------------------------------------------------------


def test_district_tokens_are_listed_one_per_district(clever_sandbox):
    response = requests.get(
        f"{clever_sandbox.url}/oauth/tokens", params={"owner_type": "district"}, auth=CLIENT, timeout=TIMEOUT
    )

    assert response.status_code == 200
    body = response.json()
    assert [item["owner"] for item in body["data"]] == [{"type": "district", "id": demo.DISTRICT}]
    item = body["data"][0]
    assert len(item["access_token"]) == 40
    assert int(item["access_token"], 16) >= 0
    assert "read:students" in item["scopes"]
    assert body["links"] == [{"rel": "self", "uri": "/oauth/tokens?owner_type=district"}]
    me = api_get(clever_sandbox, "/v2.0/me", item["access_token"]).json()
    assert me["data"] == {"id": demo.DISTRICT, "type": "district"}


def test_district_token_listing_filters_by_district(clever_sandbox):
    other = requests.get(
        f"{clever_sandbox.url}/oauth/tokens",
        params={"owner_type": "district", "district": "0" * 24},
        auth=CLIENT,
        timeout=TIMEOUT,
    )
    mine = requests.get(
        f"{clever_sandbox.url}/oauth/tokens",
        params={"owner_type": "district", "district": demo.DISTRICT},
        auth=CLIENT,
        timeout=TIMEOUT,
    )

    assert other.json()["data"] == []
    assert len(mine.json()["data"]) == 1


def test_district_token_listing_needs_client_auth_and_owner_type(clever_sandbox):
    no_auth = requests.get(f"{clever_sandbox.url}/oauth/tokens", params={"owner_type": "district"}, timeout=TIMEOUT)
    no_owner = requests.get(f"{clever_sandbox.url}/oauth/tokens", auth=CLIENT, timeout=TIMEOUT)

    assert no_auth.status_code == 401
    assert no_owner.status_code == 400


def test_tokeninfo_names_the_client(clever_sandbox):
    token = exchange(clever_sandbox, code_for(clever_sandbox, demo.ZOE_OBRIEN)).json()["access_token"]

    info = requests.get(
        f"{clever_sandbox.url}/oauth/tokeninfo", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    anonymous = requests.get(f"{clever_sandbox.url}/oauth/tokeninfo", timeout=TIMEOUT)

    assert info.json()["client_id"] == CLIENT[0]
    assert anonymous.status_code == 401


# --- Portal launches ---------------------------------------------------------------------------


def test_portal_launch_lands_on_the_primary_redirect_uri_without_state(clever_sandbox):
    page = requests.get(f"{clever_sandbox.url}/portal", timeout=TIMEOUT)
    launch = requests.post(
        f"{clever_sandbox.url}/portal", data={"user_id": demo.PRIYA_RAMAN}, allow_redirects=False, timeout=TIMEOUT
    )

    assert page.status_code == 200
    assert f'value="{demo.PRIYA_RAMAN}"' in page.text
    assert launch.status_code == 302
    location = launch.headers["Location"]
    assert location.startswith(callback_uri(clever_sandbox) + "?")
    query = query_of(location)
    assert set(query) == {"code"}
    token = exchange(clever_sandbox, query["code"]).json()["access_token"]
    me = api_get(clever_sandbox, "/v2.1/me", token).json()
    assert me["data"] == {"id": demo.PRIYA_RAMAN, "type": "teacher", "authorized_by": "teacher"}


def test_portal_uses_the_first_configured_redirect_uri(clever_sandbox, settings):
    settings.CLEVER_SANDBOX_REDIRECT_URIS = ["https://app.example/first", "https://app.example/second"]

    launch = requests.post(
        f"{clever_sandbox.url}/portal", data={"user_id": demo.ZOE_OBRIEN}, allow_redirects=False, timeout=TIMEOUT
    )

    assert launch.headers["Location"].startswith("https://app.example/first?code=")


def test_someone_signed_in_at_clever_is_sent_straight_back_until_they_sign_out(clever_sandbox):
    browser = requests.Session()  # keeps the sandbox's cookie, as a browser does
    launch = browser.post(
        f"{clever_sandbox.url}/portal", data={"user_id": demo.JOSE_NUNEZ}, allow_redirects=False, timeout=TIMEOUT
    )
    assert launch.status_code == 302

    # The app bounces the Portal's launch back to the sign-in page with its own state: no second pick.
    again = browser.get(
        f"{clever_sandbox.url}/oauth/authorize",
        params=authorize_params(clever_sandbox, state="ours"),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert again.status_code == 302
    query = query_of(again.headers["Location"])
    assert query["state"] == "ours"
    token = exchange(clever_sandbox, query["code"]).json()["access_token"]
    assert api_get(clever_sandbox, "/v2.1/me", token).json()["data"]["id"] == demo.JOSE_NUNEZ
    index = browser.get(f"{clever_sandbox.url}/", timeout=TIMEOUT)
    assert "Signed in to Clever as José Núñez" in index.text

    browser.get(f"{clever_sandbox.url}/signout", timeout=TIMEOUT)
    page = browser.get(
        f"{clever_sandbox.url}/oauth/authorize", params=authorize_params(clever_sandbox), allow_redirects=False
    )
    assert page.status_code == 200
    assert "Signed in to Clever as" not in page.text


def test_a_remembered_user_outside_the_requested_district_is_asked_again(clever_sandbox):
    browser = requests.Session()
    choose_as = browser.post(
        f"{clever_sandbox.url}/oauth/authorize",
        params=authorize_params(clever_sandbox),
        data={"user_id": demo.PRIYA_RAMAN},  # a Library teacher: in no district
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert choose_as.status_code == 302

    page = browser.get(
        f"{clever_sandbox.url}/oauth/authorize",
        params=authorize_params(clever_sandbox, district_id=demo.DISTRICT),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert page.status_code == 200  # the district's sign-in page, not a code for Priya


def test_a_forged_session_cookie_is_ignored(clever_sandbox):
    browser = requests.Session()
    browser.cookies.set("clever_sandbox_session", demo.ZOE_OBRIEN)
    page = browser.get(
        f"{clever_sandbox.url}/oauth/authorize", params=authorize_params(clever_sandbox), allow_redirects=False
    )
    assert page.status_code == 200


def test_the_products_home_page_says_how_to_sign_in_as_another_teacher(client, settings):
    page = client.get("/").content.decode()
    assert 'href="/sandbox/clever/signout?next=/"' in page

    settings.CLEVER_SANDBOX = False
    assert "signout" not in client.get("/").content.decode()
