"""A teacher's first visit, page by page: the welcome question, signing out of Clever, the account
following Clever, and the pages that answer errors. Clever is the sandbox, over real HTTP."""

import html

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.adapter import SIGNED_OUT_OF_CLEVER_APP
from accounts.clever.pending import SESSION_KEY
from accounts.models import User
from sandbox import demo
from tests.clever_login import clever_callback, clever_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WELCOME = "/accounts/clever/welcome/"


def _welcome_page(client, clever_sandbox, user_id) -> str:
    trip = clever_callback(client, clever_sandbox, user_id=user_id)
    assert trip.response["Location"] == WELCOME
    return html.unescape(client.get(WELCOME).content.decode())


def test_with_no_account_on_the_clever_email_creating_comes_first_and_nothing_is_prefilled(client, clever_sandbox):
    page = _welcome_page(client, clever_sandbox, demo.ZOE_OBRIEN)

    assert page.index("Continue: create my account") < page.index("I already have an account here")
    assert "<dd>Zoë O'Brien</dd>" in page
    assert "<dd>Riverside High School</dd>" in page  # read from Clever for this page
    assert "<dd>zoe.obrien@demodistrict.example</dd>" in page
    assert 'name="email" autocomplete="email"' in page
    assert 'value="zoe.obrien@demodistrict.example"' not in page  # offered only when an account has it
    assert 'href="/accounts/password/reset/">Forgot your password?</a>' in page


def test_with_an_account_on_the_clever_email_proving_it_comes_first_prefilled(client, clever_sandbox):
    UserFactory(email="zoe.obrien@demodistrict.example")

    page = _welcome_page(client, clever_sandbox, demo.ZOE_OBRIEN)

    assert page.index("Connect Clever to this account") < page.index("Create a new account")
    assert 'value="zoe.obrien@demodistrict.example"' in page


def test_creating_says_welcome_once(client, clever_sandbox):
    clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    response = client.post(reverse("clever_create"), follow=True)

    texts = [str(message) for message in response.context["messages"]]
    assert texts == ["Welcome! We created your account from your Clever profile."]


def test_not_you_forgets_the_clever_identity_and_signs_out_of_the_sandboxs_clever(client, clever_sandbox):
    clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    assert SESSION_KEY in client.session

    response = client.post(reverse("clever_cancel"))

    assert response.status_code == 302
    assert response["Location"] == f"{clever_sandbox.url}/signout?next=http%3A%2F%2Ftestserver%2F"
    assert SESSION_KEY not in client.session
    assert not User.objects.exists()


def test_signing_out_after_clever_offers_to_sign_out_of_clever_once(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    client.post(reverse("account_logout"))
    assert client.session[SIGNED_OUT_OF_CLEVER_APP] is True
    page = html.unescape(client.get("/").content.decode())

    assert "You have signed out." in page
    assert f'href="{clever_sandbox.url}/signout?next=http%3A%2F%2Ftestserver%2F">Also sign out of Clever</a>' in page
    assert "Also sign out of Clever" not in client.get("/").content.decode()  # said once


def test_signing_out_of_an_account_without_clever_offers_nothing_more(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("account_logout"))

    assert "Also sign out of Clever" not in client.get("/").content.decode()


def test_the_real_clevers_sign_out_is_used_without_the_sandbox(client, settings):
    settings.CLEVER_SANDBOX = False
    session = client.session
    session[SIGNED_OUT_OF_CLEVER_APP] = True
    session.save()

    page = client.get("/").content.decode()

    assert 'href="https://clever.com/logout">Also sign out of Clever</a>' in page


def test_the_accounts_name_follows_clever_at_every_login(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    client.post(reverse("account_logout"))
    clever_sandbox.state.update("teachers", demo.ZOE_OBRIEN, name={"first": "Zoë", "middle": "", "last": "Marsh"})

    clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Zoë", "Marsh")
    assert '<span class="who">Zoë Marsh</span>' in client.get("/onboarding/").content.decode()  # the header


def test_a_name_clever_leaves_blank_is_kept(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)
    client.post(reverse("account_logout"))
    clever_sandbox.state.update("teachers", demo.ZOE_OBRIEN, name={"first": "", "middle": "", "last": ""})

    clever_callback(client, clever_sandbox, user_id=demo.ZOE_OBRIEN)

    assert User.objects.values_list("first_name", "last_name").get() == ("Zoë", "O'Brien")


def test_the_500_page_needs_no_request_and_leads_home():
    page = render_to_string("500.html")

    assert '<link rel="stylesheet" href="/static/css/site.css">' in page[: page.index("</head>")]
    assert "Something went wrong on our side" in page
    assert '<a class="button" href="/">Go to the home page</a>' in page


def test_a_missing_page_is_branded_with_a_way_back(client):
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in page
    assert 'href="/">Go to the home page</a>' in page


def test_favicon_ico_answers_with_the_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/favicon.ico")
