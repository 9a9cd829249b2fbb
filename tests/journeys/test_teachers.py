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
    ClickCounter,
    banner,
    checked_labels,
    choose_on_clever,
    class_cards,
    create_my_account,
    expect_class,
    field_group,
    finish_onboarding,
    log_in_with_clever,
    message,
    messages,
    question,
    question_label,
    selected_option,
    sign_out,
    student_names,
)

# The live server needs committed data; serialized_rollback brings back the migrations' data (conftest).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_TEACHER = next(spec for spec in DEMO_ACCOUNTS if not spec["staff"])  # the local Priya Raman


def test_a_new_district_teacher_reaches_my_classes_in_four_clicks_and_finds_their_classes(
    page, clever, page_check, screenshot
):
    clicks = ClickCounter(page)
    page.goto("/")
    page_check(page, "home")
    clicks.click(page.get_by_role("button", name="Log in with Clever"))  # 1
    expect(page).to_have_url(CLEVER_SIGN_IN_URL)
    clicks.click(page.get_by_role("button", name="Zoë O'Brien"))  # 2: on Clever's own page

    # The question, with the usual answer first: no account here uses her Clever email.
    expect(page).to_have_url(WELCOME_URL)
    expect(page.get_by_role("heading", name="Welcome, Zoë!")).to_be_visible()
    identity = page.locator("dl.identity")
    expect(identity).to_contain_text("Zoë O'Brien")
    expect(identity).to_contain_text("Riverside High School")
    expect(identity).to_contain_text("zoe.obrien@demodistrict.example")
    expect(page.get_by_role("heading", name="Do you already have an account here?")).to_be_visible()
    create = page.get_by_role("button", name="Continue: create my account")
    expect(create).to_be_in_viewport()  # above the fold, even on a phone (checked below)
    expect(page.get_by_text("I already have an account here")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_hidden()  # behind "I already have an account here"
    page_check(page, "welcome")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(create).to_be_in_viewport()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("I already have an account here").click()
    expect(page.get_by_label("Email")).to_have_value("")  # no account has her email: nothing to suggest
    clicks.click(create)  # 3

    # Onboarding, filled in from Clever: one message, no navigation, and nothing to type.
    expect(page).to_have_url(ONBOARDING_URL)
    expect(messages(page)).to_have_text(["Welcome! We created your account from your Clever profile."])
    expect(page.get_by_role("navigation")).to_have_count(0)
    expect(banner(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="Almost done — check what we filled in from Clever")).to_be_visible()
    expect(question(page, "Email")).to_have_value("zoe.obrien@demodistrict.example")
    expect(question(page, "School")).to_have_value("Riverside High School")
    assert checked_labels(field_group(page, "Subjects you teach")) == ["Math", "Technology and engineering"]
    grades = field_group(page, "Grades you teach")
    assert checked_labels(grades) == ["Grade 9", "Grade 10"]
    shown_grades = grades.locator(".choices label:visible").all_inner_texts()
    assert [text.strip() for text in shown_grades] == ["Kindergarten", *(f"Grade {n}" for n in range(1, 13))]
    expect(grades.get_by_text("More grades")).to_be_visible()
    expect(grades.get_by_label("Pre-K")).to_be_hidden()
    expect(selected_option(question(page, "Country"))).to_have_text("United States of America")
    first_countries = question(page, "Country").locator("option").all_inner_texts()[:4]
    assert first_countries == ["Choose a country…", "United States of America", "Canada", "United Kingdom"]
    page_check(page, "onboarding")

    # Until she finishes, the home page sends her back to the questionnaire.
    page.goto("/")
    expect(page).to_have_url(ONBOARDING_URL)

    clicks.click(page.get_by_role("button", name="Finish"))  # 4: Clever filled in everything required
    expect(page).to_have_url(CLASSES_URL)
    assert clicks.count == 4
    expect(message(page, "Thank you, you're all set!")).to_be_visible()

    expect(page.get_by_role("heading", name="My classes")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Last updated from Clever"))).to_be_visible()
    expect(banner(page)).to_have_count(0)  # a district teacher's plan needs no band on every page
    expect(class_cards(page)).to_have_count(3)
    expect_class(
        page, name="Algebra I - O'Brien - 1", facts="Math · Grade 9 · Period 1", teachers=None, students="24 students"
    )
    expect_class(
        page, name="Geometry - O'Brien - 3", facts="Math · Grade 10 · Period 3", teachers=None, students="20 students"
    )
    expect_class(
        page,
        name="STEM Lab - O'Brien - 5",
        facts="Technology and engineering · Grade 9 · Period 5",
        teachers="You (primary), A co-teacher not signed in yet",
        students="16 students",
    )
    page_check(page, "my-classes")

    page.get_by_role("link", name="Algebra I - O'Brien - 1").click()

    expect(page.get_by_role("heading", name="Algebra I - O'Brien - 1")).to_be_visible()
    expect(page.get_by_text("Math · Grade 9 · Period 1")).to_be_visible()
    expect(page.get_by_text("24 students", exact=True)).to_be_visible()
    names = student_names(page)
    assert len(names) == 24
    assert names[:3] == ["Ali, Léa", "Ali, Priya", "Baptiste, Elena"]
    # Namesakes: told apart by their middle names, or said to share a name when nothing tells them apart.
    assert [name for name in names if name.startswith("Kim, Liam")] == ["Kim, Liam A", "Kim, Liam J"]
    assert [name for name in names if name.startswith("Yamamoto, Ruby")] == ["Yamamoto, Ruby J", "Yamamoto, Ruby J"]
    expect(page.get_by_text("Another student in this class has the same name.")).to_have_count(2)
    expect(page.get_by_text("Rodríguez, Maya")).to_have_count(1)
    page_check(page, "class")

    page.get_by_role("link", name="Account").click()
    you = page.locator(".facts-list").first
    expect(you).to_contain_text("Zoë O'Brien")
    clever_facts = page.locator(".facts-list").last
    expect(clever_facts).to_contain_text("Riverside High School")
    expect(page.get_by_text(demo.DISTRICT)).to_have_count(0)  # no raw ids
    expect(page.get_by_text(demo.ZOE_OBRIEN)).to_have_count(0)
    page_check(page, "account")
    screenshot(page, "new-district-teacher")


def test_a_library_teacher_merges_clever_into_their_account_and_gets_the_free_trial(
    page, clever, page_check, screenshot
):
    local = _demo_teacher_account()

    log_in_with_clever(page, teacher="Priya Raman")

    expect(page).to_have_url(WELCOME_URL)
    expect(page.get_by_role("heading", name="Welcome, Priya!")).to_be_visible()
    expect(page.get_by_text("You came through the Clever Library: you get a free trial of 30 days.")).to_be_visible()
    # An account here has her Clever email: proving it is the likely answer, so it comes first.
    expect(page.get_by_text(f"An account here already uses {DEMO_TEACHER['email']}.")).to_be_visible()
    yes = page.locator("#link")
    expect(yes.get_by_label("Email")).to_have_value(DEMO_TEACHER["email"])  # offered, never linked by itself
    expect(yes.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_role("button", name="Create a new account")).to_be_visible()
    page_check(page, "welcome-email-taken")

    # A wrong password: the same question again with a clear error, and nothing changed.
    yes.get_by_label("Password").fill("not-her-password")
    yes.get_by_role("button", name="Connect Clever to this account").click()
    expect(yes.get_by_text("The email address or password is not correct.")).to_be_visible()
    expect(page.get_by_role("heading", name="Do you already have an account here?")).to_be_visible()
    expect(yes.get_by_label("Email")).to_have_value(DEMO_TEACHER["email"])
    expect(yes.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)  # not signed in
    expect(banner(page)).to_have_count(0)
    # Read once the page is idle: on SQLite the live server shares this thread's connection.
    page.wait_for_load_state("networkidle")
    assert not SocialAccount.objects.filter(user=local).exists()

    yes.get_by_label("Password").fill(DEMO_TEACHER["password"])
    clicked = timezone.now()
    yes.get_by_role("button", name="Connect Clever to this account").click()

    # Connected and signed in, with one message; the free trial starts.
    expect(page).to_have_url(ONBOARDING_URL)
    expect(messages(page)).to_have_text(
        [re.compile(re.escape(f"Your Clever account is now connected to this account ({DEMO_TEACHER['email']})"))]
    )
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # Relaxed for the Library: only the email is required; she leaves school and country empty.
    expect(question(page, "Email")).to_have_value(DEMO_TEACHER["email"])
    expect(question_label(page, "School")).to_contain_text("(optional)")
    expect(question(page, "School")).to_have_value("")
    expect(question_label(page, "Country")).to_contain_text("(optional)")
    expect(selected_option(question(page, "Country"))).to_have_text("Choose a country…")
    assert checked_labels(field_group(page, "Subjects you teach")) == ["English / language arts", "Math"]
    assert checked_labels(field_group(page, "Grades you teach")) == ["Grade 2", "Grade 4"]
    finish_onboarding(page)

    # The free trial's end in a band on every page, which leads to what happens then.
    trial_text = _trial_banner_text(started_between=(clicked, timezone.now()))
    expect(banner(page)).to_contain_text(trial_text)
    expect(class_cards(page)).to_have_count(2)
    expect_class(page, name="Math Club", facts="Math · Grade 4", teachers=None, students="6 students")
    expect_class(
        page, name="Reading Group", facts="English / language arts · Grade 2", teachers=None, students="8 students"
    )
    page_check(page, "my-classes-library")
    banner(page).get_by_role("link", name="What happens then?").click()
    expect(page.locator("#plan")).to_contain_text("When the trial ends:")
    page_check(page, "account-trial")
    screenshot(page, "library-teacher-merge")


def test_a_returning_teacher_launched_from_the_clever_portal_lands_on_my_classes(page, clever, screenshot):
    # José Núñez signs up once, finishes onboarding and signs out.
    log_in_with_clever(page, teacher="José Núñez")
    create_my_account(page)
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
    expect(class_cards(page)).to_have_count(2)
    expect_class(
        page, name="Biology - Núñez - 2", facts="Science · Grade 9 · Period 2", teachers=None, students="24 students"
    )
    expect_class(
        page,
        name="STEM Lab - O'Brien - 5",
        facts="Technology and engineering · Grade 9 · Period 5",
        teachers="A co-teacher not signed in yet (primary), You",
        students="16 students",
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
    return re.compile(rf"Free trial from the Clever Library until ({dates})\.")


def _note_navigation(page, request, navigations: list[str]) -> None:
    """Record each URL the tab's address bar passes through, redirects included."""
    if request.is_navigation_request() and request.frame == page.main_frame:
        navigations.append(request.url)
