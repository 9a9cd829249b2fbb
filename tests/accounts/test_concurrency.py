"""Two requests for the same new Clever id at the same moment make exactly one account (PostgreSQL)."""

import threading

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client

from accounts import services
from accounts.clever.profile import CleverProfile
from accounts.models import User
from rosters.models import Sharing, Teacher
from sandbox import demo
from tests.clever_login import clever_authorize, clever_callback, clever_start, product_get

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback: leave the database as migrations made it (content types, onboarding's
    # default questions) for the transactional tests that follow, instead of flushing it bare.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: threads and row locks"),
]


def run_together(*calls):
    """Run the callables in threads released at the same moment; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_create_submits_make_one_account_and_both_are_signed_in_to_it(clever_sandbox):
    browsers = [Client(), Client()]
    for browser in browsers:
        assert clever_callback(browser, clever_sandbox, user_id=demo.ZOE_OBRIEN).response["Location"] == (
            "/accounts/clever/welcome/"
        )

    answers = run_together(*(lambda b=b: b.post("/accounts/clever/welcome/create/") for b in browsers))

    assert [answer.status_code for answer in answers] == [302, 302]
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(uid=demo.ZOE_OBRIEN).count() == 1
    assert Teacher.objects.filter(clever_id=demo.ZOE_OBRIEN).count() == 1
    user = User.objects.get()
    assert [get_user(browser) for browser in browsers] == [user, user]


def test_two_callbacks_at_once_for_a_new_teacher_create_nothing_yet(clever_sandbox):
    browsers = [Client(), Client()]
    callbacks = [clever_authorize(clever_start(b), user_id=demo.JOSE_NUNEZ) for b in browsers]

    answers = run_together(
        *(lambda b=b, url=url: product_get(b, url) for b, url in zip(browsers, callbacks, strict=True))
    )

    assert [answer["Location"] for answer in answers] == ["/accounts/clever/welcome/"] * 2
    assert not User.objects.exists()


def test_two_callbacks_at_once_for_a_returning_teacher_sign_both_in(clever_sandbox):
    first = Client()
    clever_callback(first, clever_sandbox, user_id=demo.LIAM_CHEN)
    first.post("/accounts/clever/welcome/create/")
    browsers = [Client(), Client()]
    callbacks = [clever_authorize(clever_start(b), user_id=demo.LIAM_CHEN) for b in browsers]

    answers = run_together(
        *(lambda b=b, url=url: product_get(b, url) for b, url in zip(browsers, callbacks, strict=True))
    )

    assert [answer["Location"] for answer in answers] == ["/", "/"]
    assert User.objects.count() == 1
    assert Teacher.objects.filter(clever_id=demo.LIAM_CHEN).count() == 1
    assert [get_user(b) for b in browsers] == [User.objects.get()] * 2


def test_many_concurrent_creates_of_one_profile_make_one_user():
    profile = CleverProfile(
        clever_id="5f0000000000000000000abc",
        user_type="teacher",
        district_id=demo.DISTRICT,
        authorized_by="district",
        sharing=Sharing.DISTRICT,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@school.example",
    )

    results = run_together(*([lambda: services.clever_account_create(profile=profile)] * 4))

    assert User.objects.count() == 1
    assert {result.user.pk for result in results} == {User.objects.get().pk}
    assert sorted(result.created for result in results) == [False, False, False, True]
    assert Teacher.objects.get(clever_id=profile.clever_id).user == User.objects.get()
