"""The rest of a teacher's pages in a real browser: slow Clever, signing out, refusals, plans, errors, big classes.

Every page a teacher can reach is checked at 390 and 1280 px (`page_check`): it fits
without sideways scrolling, axe-core finds nothing serious, and a screenshot is kept.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import PlanOffer, User
from rosters.models import SyncRun, Teacher
from sandbox import demo
from tests.journeys.steps import (
    CLASSES_URL,
    CLEVER_SIGN_IN_URL,
    ONBOARDING_URL,
    banner,
    class_cards,
    create_my_account,
    expect_class,
    field_group,
    finish_onboarding,
    log_in_with_clever,
    message,
    press_and_read_while_waiting,
    question,
    question_label,
    sign_out,
    student_names,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SLOW_CLEVER = 2.0  # seconds one Clever call takes in the tests that watch a button wait


def _sign_up(page, *, teacher: str) -> None:
    """Log in with Clever as a teacher new here, create the account and finish onboarding as filled in."""
    log_in_with_clever(page, teacher=teacher)
    create_my_account(page)
    expect(page).to_have_url(ONBOARDING_URL)
    finish_onboarding(page)


def test_buttons_that_wait_on_clever_say_what_is_happening_and_send_once(page, clever, settings):
    settings.ROSTER_SYNC_NOW_INTERVAL = 0  # Sync now right after the login's sync: not a test of its limit
    log_in_with_clever(page, teacher="Zoë O'Brien")
    # Clever is slow: creating the account waits on the roster sync that follows it.
    clever.state.add_fault("/v2.0/teachers/*/sections", "slow", delay=SLOW_CLEVER, times=1)
    create = page.get_by_role("button", name="Continue: create my account")
    assert press_and_read_while_waiting(page, create, then=ONBOARDING_URL) == ("Creating your account…", True)
    expect(page).to_have_url(ONBOARDING_URL)
    finish_onboarding(page)

    clever.state.add_fault("/v2.0/teachers/*/sections", "slow", delay=SLOW_CLEVER, times=1)
    sync = page.get_by_role("button", name="Sync now")
    assert press_and_read_while_waiting(page, sync, then=CLASSES_URL, times=2) == ("Updating from Clever…", True)
    expect(message(page, "Your classes were already up to date with Clever.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.BUTTON).count() == 1  # the second press sent nothing


def test_signing_out_offers_to_sign_out_of_clever_too(page, clever, page_check):
    _sign_up(page, teacher="Zoë O'Brien")
    sign_out(page)

    # Clever still remembers her: "Log in with Clever" would sign her straight back in.
    shared = page.get_by_role("region", name="On a shared computer?")
    expect(shared).to_be_visible()
    page_check(page, "signed-out")
    page.get_by_role("button", name="Log in with Clever").click()
    expect(page).to_have_url(CLASSES_URL)
    sign_out(page)

    page.get_by_role("link", name="Also sign out of Clever").click()

    # Back home, signed out of both: the next "Log in with Clever" asks Clever who signs in.
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    expect(page.get_by_role("region", name="On a shared computer?")).to_have_count(0)
    page.get_by_role("button", name="Log in with Clever").click()
    expect(page).to_have_url(CLEVER_SIGN_IN_URL)
    expect(page.get_by_role("button", name="Zoë O'Brien")).to_be_visible()


def test_a_school_admin_is_told_the_app_is_for_teachers_and_can_sign_out_of_clever(page, clever, page_check):
    page.goto("/")
    page.get_by_role("button", name="Log in with Clever").click()
    page.get_by_role("button", name=re.compile(r"^Carmen Ortiz")).click()

    expect(page.get_by_role("heading", name="This app is for teachers")).to_be_visible()
    page_check(page, "teachers-only")
    page.get_by_role("link", name="Sign out of Clever").click()

    # Not a loop: Clever asks again who signs in.
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    page.get_by_role("button", name="Log in with Clever").click()
    expect(page).to_have_url(CLEVER_SIGN_IN_URL)
    expect(page.get_by_role("button", name=re.compile(r"^Carmen Ortiz"))).to_be_visible()


def test_a_refused_token_offers_log_in_with_clever_which_signs_in_again_and_syncs(page, clever, page_check, settings):
    settings.ROSTER_SYNC_NOW_INTERVAL = 0  # Sync now right after the login's sync: not a test of its limit
    _sign_up(page, teacher="Zoë O'Brien")
    page.wait_for_load_state("networkidle")
    # Clever no longer takes the token we kept from her login (it expired).
    Teacher.objects.filter(clever_id=demo.ZOE_OBRIEN).update(token="a-token-clever-has-forgotten")
    clever.state.remove_student_from_section(demo.MAYA_RODRIGUEZ, demo.ALGEBRA_I)

    page.get_by_role("button", name="Sync now").click()

    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Your Clever sign-in has expired. Please log in with Clever again.")
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)
    expect_class(
        page, name="Algebra I - O'Brien - 1", facts="Math · Grade 9 · Period 1", teachers=None, students="24 students"
    )
    page_check(page, "my-classes-sign-in-expired")

    notice.get_by_role("button", name="Log in with Clever").click()

    # Clever remembers her, so she is back at once, signed in again and up to date.
    expect(page).to_have_url(CLASSES_URL)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect_class(
        page, name="Algebra I - O'Brien - 1", facts="Math · Grade 9 · Period 1", teachers=None, students="23 students"
    )


def test_a_library_teacher_sees_initials_and_what_to_do_when_the_trial_ends(page, clever, page_check):
    log_in_with_clever(page, teacher="Hannah Müller")
    expect(page.get_by_text("You came through the Clever Library: you get a free trial of 30 days.")).to_be_visible()
    page_check(page, "welcome-library")
    create_my_account(page)
    expect(question_label(page, "School")).to_contain_text("(optional)")
    finish_onboarding(page)

    page.get_by_role("link", name="Science Explorers").click()
    expect(page.get_by_text("7 students", exact=True)).to_be_visible()
    assert student_names(page) == [
        "Isabella B.",
        "Omar I.",
        "Kwame J.",
        "Elijah K.",
        "Mateo M.",
        "Rafael M.",
        "Tomás N.",
    ]
    page_check(page, "class-library")

    # The trial ends; staff have set where the button leads.
    page.wait_for_load_state("networkidle")
    User.objects.filter(plan=User.Plan.TRIAL).update(trial_ends_at=timezone.now() - timedelta(days=1))
    PlanOffer.objects.update(action_text="Upgrade to Premium", action_url="https://example.org/pricing")
    page.get_by_role("link", name="My classes", exact=True).click()
    expect(banner(page)).to_contain_text("Your free trial ended on")
    banner(page).get_by_role("link", name="What changes, and what to do").click()

    plan = page.locator("#plan")
    expect(plan).to_contain_text("Your account, your classes and your students stay here")
    expect(plan.get_by_role("link", name="Upgrade to Premium")).to_have_attribute(
        "href", "https://example.org/pricing"
    )
    page_check(page, "account-trial-ended")


def test_a_teacher_without_classes_or_email_finishes_onboarding_with_one_answer(page, clever, page_check):
    # Ruth Okafor: Clever gives her no email, and (here) no classes yet.
    for section in (demo.GRADE_3_HOMEROOM, demo.READING):
        clever.state.remove("sections", section)
    log_in_with_clever(page, teacher="Ruth Okafor")
    create_my_account(page)

    expect(question_label(page, "Subjects you teach")).to_contain_text("(optional)")  # nothing to prefill
    expect(question_label(page, "Grades you teach")).to_contain_text("(optional)")
    page.get_by_role("button", name="Finish").click()

    # Refused: focus goes to the summary of what to fix, which links to the question.
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Email: Please answer this question.")
    page_check(page, "onboarding-errors")
    summary.get_by_role("link", name=re.compile(r"^Email")).click()
    question(page, "Email").fill("ruth.okafor@school.example")
    finish_onboarding(page)

    expect(page.get_by_role("heading", name="Clever lists no classes for you yet.")).to_be_visible()
    page_check(page, "my-classes-empty")
    page.get_by_role("link", name="Account").click()
    expect(page.locator(".facts-list").first).to_contain_text("ruth.okafor@school.example")  # now the account's
    assert not field_group(page, "Grades you teach").count()


def test_a_large_class_has_a_count_and_a_filter_box(page, clever, page_check):
    _sign_up(page, teacher="Liam Chen")
    page.get_by_role("link", name="World History - Chen - 4").click()

    expect(page.get_by_text("120 students", exact=True)).to_be_visible()
    page_check(page, "class-large")
    page.get_by_label("Find a student").fill("garcia")  # as typed, without the accent

    garcias = [
        "García, Ingrid",
        "García, Lucas",
        "García, Lucas J",
        "García, Mateo",
        "García, Siobhán",
        "García, Yuki",
    ]
    expect(page.locator("table.students tbody tr:visible")).to_have_count(6)
    assert student_names(page) == garcias
    expect(page.get_by_text("Showing 6 of 120 students.")).to_be_visible()

    # Without JavaScript the same box filters on the server.
    page.goto(f"{page.url.split('?')[0]}?q=garcia")
    expect(page.get_by_text("6 students match “garcia”.")).to_be_visible()
    assert student_names(page) == garcias


def test_pages_anyone_can_reach_fit_a_phone_and_pass_the_accessibility_checks(page, clever, page_check):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page_check(page, "sign-in")
    page.goto("/accounts/password/reset/")
    page_check(page, "password-reset")

    response = page.goto("/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    page_check(page, "not-found")

    icon = page.goto("/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")


def test_my_classes_for_an_account_without_clever_offers_to_connect_it(page, clever, page_check):
    User.objects.create_user(username="lou", email="lou@example.org", password="a-long-password-1")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("lou@example.org")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(CLASSES_URL)
    expect(page.get_by_text("Your account is not connected to Clever yet, so it has no classes.")).to_be_visible()
    expect(class_cards(page)).to_have_count(0)
    page_check(page, "my-classes-no-clever")
    page.get_by_role("link", name="Account").click()
    page_check(page, "account-no-clever")
