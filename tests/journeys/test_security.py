"""The Content-Security-Policy in a real browser: it is enforced, and no page of ours or of the admin trips it.

Every journey fails on a violation (conftest's `page`); these walk the admin screens staff
use, and the pages of a Clever login a shared computer may leave open.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts import services
from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS
from accounts.models import User
from rosters.models import SyncRun
from sandbox import demo
from tests.clever_login import clever_login
from tests.journeys.steps import WELCOME_URL, log_in_with_clever, message, sign_in_to_the_admin

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_ADMIN = next(spec for spec in DEMO_ACCOUNTS if spec["staff"])


def test_the_browser_enforces_the_policy_and_the_journeys_hear_of_it(page, csp_violations):
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    assert csp_violations == []

    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        blocked = page.evaluate(
            """() => new Promise((resolve) => {
                 const heard = (event) => resolve(event.violatedDirective);
                 document.addEventListener("securitypolicyviolation", heard, {once: true});
                 document.body.setAttribute("style", "background: red");
               })"""
        )

    assert blocked == "style-src-attr"
    assert any("style-src-attr" in violation for violation in csp_violations)
    csp_violations.clear()  # heard: this one was on purpose


def test_the_admin_screens_work_under_the_policy(page, clever, settings):
    from django.test import Client

    clever_login(Client(), clever, user_id=demo.ZOE_OBRIEN)  # a teacher, her classes and a sync run
    zoe = User.objects.get(socialaccount__uid=demo.ZOE_OBRIEN)
    run = SyncRun.objects.get(teacher__user=zoe)
    settings.DEBUG = False
    services.demo_account_ensure(**DEMO_ADMIN)
    sign_in_to_the_admin(page, DEMO_ADMIN)

    for section, model in [
        ("Users", "user"),
        ("Teachers", "teacher"),
        ("Sections", "section"),
        ("Students", "student"),
        ("Sync runs", "sync run"),
        ("Background syncs", "background sync"),
        ("Districts", "district"),
        ("Audit events", "audit event"),
    ]:
        page.goto("/admin/")
        page.get_by_role("link", name=section, exact=True).click()
        expect(page.get_by_role("heading", name=re.compile(rf"^Select {model} to (change|view)$"))).to_be_visible()

    # A change form with the admin's widgets: dates and times, the password, filters.
    page.goto(reverse("admin:accounts_user_change", args=[zoe.pk]))
    expect(page.get_by_role("heading", name="Change user")).to_be_visible()
    page.get_by_role("link", name="Today").first.click()  # the date widget's shortcut, a script
    page.get_by_role("link", name="Choose a Date").first.click()  # its calendar
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.goto(reverse("admin:rosters_syncrun_change", args=[run.pk]))
    expect(page.get_by_role("heading", name="View sync run")).to_be_visible()


def test_a_teacher_at_a_shared_computer_sees_whose_clever_account_it_is_and_can_say_it_is_not_theirs(page):
    log_in_with_clever(page, teacher="Zoë O'Brien")

    expect(page).to_have_url(WELCOME_URL)
    who = page.locator("#who")
    expect(who).to_contain_text("Zoë O'Brien")
    expect(who).to_contain_text("zoe.obrien@demodistrict.example")
    who.get_by_role("button", name="Sign out of Clever").click()

    expect(message(page, "We forgot that Clever sign-in")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    page.goto("/accounts/clever/welcome/")
    expect(message(page, "Log in with Clever to continue.")).to_be_visible()
