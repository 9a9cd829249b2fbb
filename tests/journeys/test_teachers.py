"""Teachers' journeys in a real browser: Log in with Clever, the account question, onboarding, My classes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.utils import formats, timezone
from playwright.sync_api import expect

from accounts import services
from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS
from accounts.models import User
from sandbox import demo
from tests.journeys.steps import (
    CLASSES_URL,
    CLEVER_SIGN_IN_URL,
    ONBOARDING_URL,
    WELCOME_URL,
    banner,
    checked_labels,
    choose_on_clever,
    class_rows,
    expect_class,
    field_group,
    finish_onboarding,
    log_in_with_clever,
    message,
    question,
    question_label,
    selected_option,
    sign_out,
)

# The live server needs committed data; serialized_rollback brings back the migrations' data (conftest).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_TEACHER = next(spec for spec in DEMO_ACCOUNTS if not spec["staff"])  # the local Priya Raman


def test_a_new_district_teacher_signs_up_with_clever_and_finds_their_classes(page, clever, screenshot):
    log_in_with_clever(page, teacher="Zoë O'Brien")

    expect(page).to_have_url(WELCOME_URL)
    expect(page.get_by_role("heading", name="Welcome, Zoë!")).to_be_visible()
    expect(page.get_by_role("heading", name="Do you already have an account here?")).to_be_visible()
    page.get_by_role("button", name="Create my account").click()

    # Onboarding, filled in from Clever: her email, school, subjects and grades, and the country.
    expect(page).to_have_url(ONBOARDING_URL)
    expect(message(page, "We created your account from your Clever profile")).to_be_visible()
    expect(banner(page)).to_have_text("Premium")
    expect(page.get_by_role("heading", name="Almost done — check what we filled in from Clever")).to_be_visible()
    expect(question(page, "Email")).to_have_value("zoe.obrien@demodistrict.example")
    expect(question(page, "School")).to_have_value("Riverside High School")
    assert checked_labels(field_group(page, "Subjects you teach")) == ["Math", "Technology and engineering"]
    assert checked_labels(field_group(page, "Grades you teach")) == ["Grade 9", "Grade 10"]
    expect(selected_option(question(page, "Country"))).to_have_text("United States of America")

    # Until she finishes, My classes sends her back to the questionnaire.
    page.get_by_role("link", name="My classes").click()
    expect(page).to_have_url(ONBOARDING_URL)
    expect(question(page, "School")).to_have_value("Riverside High School")

    finish_onboarding(page)  # one click: Clever filled in everything required

    expect(page.get_by_role("heading", name="My classes")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Last updated from Clever"))).to_be_visible()
    expect(class_rows(page)).to_have_count(3)
    expect_class(
        page, name="Algebra I - O'Brien - 1", subject="Math", grade="Grade 9", teachers="You primary", students="24"
    )
    expect_class(
        page, name="Geometry - O'Brien - 3", subject="Math", grade="Grade 10", teachers="You primary", students="20"
    )
    expect_class(
        page,
        name="STEM Lab - O'Brien - 5",
        subject="Technology and engineering",
        grade="Grade 9",
        teachers="You primary, A co-teacher not signed in yet",
        students="16",
    )

    page.get_by_role("link", name="Algebra I - O'Brien - 1").click()

    expect(page.get_by_role("heading", name="Algebra I - O'Brien - 1")).to_be_visible()
    expect(page.get_by_text("Math · Grade 9 · Period 1 · Zoë O'Brien")).to_be_visible()
    students = page.get_by_role("table").locator("tbody tr")
    expect(students).to_have_count(24)
    enrolled = clever.state.get("sections", demo.ALGEBRA_I)["students"]
    expected = sorted(_list_name(clever.state.get("students", student_id)) for student_id in enrolled)
    assert sorted(students.locator("td:first-child").all_inner_texts()) == expected
    expect(students.filter(has_text="Rodríguez, Maya")).to_have_count(1)
    screenshot(page, "new-district-teacher")


def test_a_library_teacher_merges_clever_into_their_account_and_gets_the_free_trial(page, clever, screenshot):
    local = _demo_teacher_account()

    log_in_with_clever(page, teacher="Priya Raman")

    expect(page).to_have_url(WELCOME_URL)
    expect(page.get_by_role("heading", name="Welcome, Priya!")).to_be_visible()
    expect(page.get_by_text("You came through the Clever Library: you get a free trial of 30 days.")).to_be_visible()
    yes = page.locator("#link")
    expect(yes.get_by_role("heading", name="Yes, I have an account")).to_be_visible()
    expect(yes.get_by_text(f"An account here already uses {DEMO_TEACHER['email']}.")).to_be_visible()
    expect(yes.get_by_label("Email")).to_have_value(DEMO_TEACHER["email"])  # offered, never linked by itself

    # A wrong password: the same question again with a clear error, and nothing changed.
    yes.get_by_label("Password").fill("not-her-password")
    yes.get_by_role("button", name="Connect Clever to this account").click()
    expect(yes.get_by_text("The email address or password is not correct.")).to_be_visible()
    expect(page.get_by_role("heading", name="Do you already have an account here?")).to_be_visible()
    expect(yes.get_by_label("Email")).to_have_value(DEMO_TEACHER["email"])
    expect(yes.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # not signed in
    expect(banner(page)).to_have_count(0)
    # Read once the page is idle: on SQLite the live server shares this thread's connection.
    page.wait_for_load_state("networkidle")
    assert not SocialAccount.objects.filter(user=local).exists()

    yes.get_by_label("Password").fill(DEMO_TEACHER["password"])
    clicked = timezone.now()
    yes.get_by_role("button", name="Connect Clever to this account").click()

    # Connected and signed in; the free trial starts, its end date in the banner on every page.
    expect(page).to_have_url(ONBOARDING_URL)
    expect(
        message(page, f"Your Clever account is now connected to this account ({DEMO_TEACHER['email']})")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    trial_text = _trial_banner_text(started_between=(clicked, timezone.now()))
    expect(banner(page)).to_contain_text(trial_text)
    expect(banner(page).get_by_role("link", name="Your plan")).to_be_visible()

    # Relaxed for the Library: only the email is required; she leaves school and country empty.
    expect(question(page, "Email")).to_have_value(DEMO_TEACHER["email"])
    expect(question_label(page, "School")).to_contain_text("(optional)")
    expect(question(page, "School")).to_have_value("")
    expect(question_label(page, "Country")).to_contain_text("(optional)")
    expect(selected_option(question(page, "Country"))).to_have_text("Choose a country…")
    assert checked_labels(field_group(page, "Subjects you teach")) == ["English / language arts", "Math"]
    assert checked_labels(field_group(page, "Grades you teach")) == ["Grade 2", "Grade 4"]
    finish_onboarding(page)

    expect(banner(page)).to_contain_text(trial_text)
    expect(class_rows(page)).to_have_count(2)
    expect_class(page, name="Math Club", subject="Math", grade="Grade 4", teachers="You primary", students="6")
    expect_class(
        page,
        name="Reading Group",
        subject="English / language arts",
        grade="Grade 2",
        teachers="You primary",
        students="8",
    )
    screenshot(page, "library-teacher-merge")


def test_a_returning_teacher_launched_from_the_clever_portal_lands_on_my_classes(page, clever, screenshot):
    # José Núñez signs up once, finishes onboarding and signs out.
    log_in_with_clever(page, teacher="José Núñez")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(ONBOARDING_URL)
    finish_onboarding(page)
    sign_out(page)

    # Later he opens the app from the Clever Portal: Clever sends a code and no state.
    navigations: list[str] = []
    page.on("request", lambda request: _note_navigation(page, request, navigations))
    page.goto(f"{clever.url}/portal")
    choose_on_clever(page, teacher="José Núñez", heading="Clever Portal")

    # The product does not use that code: it sends him back to Clever with a fresh state, and
    # Clever, where he is signed in, answers at once: he lands on My classes, with no account
    # question and no questionnaire.
    expect(page).to_have_url(CLASSES_URL)
    callbacks = [url for url in navigations if "/accounts/clever/login/callback/" in url]
    assert len(callbacks) == 2
    assert "code=" in callbacks[0]
    assert "state=" not in callbacks[0]
    assert any(CLEVER_SIGN_IN_URL.search(url) for url in navigations)
    assert "state=" in callbacks[1]
    expect(message(page, "Successfully signed in as José Núñez.")).to_be_visible()
    assert not any(WELCOME_URL.search(url) or ONBOARDING_URL.search(url) for url in navigations)
    expect(class_rows(page)).to_have_count(2)
    expect_class(
        page, name="Biology - Núñez - 2", subject="Science", grade="Grade 9", teachers="You primary", students="24"
    )
    expect_class(
        page,
        name="STEM Lab - O'Brien - 5",
        subject="Technology and engineering",
        grade="Grade 9",
        teachers=re.compile(r"^A co-teacher not signed in yet primary, You$"),
        students="16",
    )
    # Only the two codes issued with our own state were exchanged; the Portal's never was.
    assert clever.state.count_calls("/oauth/tokens", method="POST") == 2
    screenshot(page, "portal-launch")


def _demo_teacher_account() -> User:
    """Create the local Priya Raman exactly as `manage.py demo_accounts` does."""
    user, _created = services.demo_account_ensure(**DEMO_TEACHER)
    return user


def _trial_banner_text(*, started_between: tuple) -> re.Pattern:
    """The banner for a free trial of LIBRARY_TRIAL_DAYS days that started in this time window."""
    length = timedelta(days=settings.LIBRARY_TRIAL_DAYS)
    ends = {formats.date_format(timezone.localtime(start + length), "DATE_FORMAT") for start in started_between}
    dates = "|".join(re.escape(end) for end in sorted(ends))
    return re.compile(rf"You are on the free trial from the Clever Library until ({dates})\.")


def _list_name(student: dict) -> str:
    """A student as the class page lists them: "Last, First"."""
    return f"{student['name']['last']}, {student['name']['first']}"


def _note_navigation(page, request, navigations: list[str]) -> None:
    """Record each URL the tab's address bar passes through, redirects included."""
    if request.is_navigation_request() and request.frame == page.main_frame:
        navigations.append(request.url)
