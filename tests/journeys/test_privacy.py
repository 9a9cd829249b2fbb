"""Deleting a teacher in a real browser: the teacher on a phone, from their account page; staff from the admin.

What goes is counted by hand from sandbox/data/demo.json: with Zoë O'Brien alone signed in,
her own classes are Algebra I (24 students) and Geometry (20), 44 students in neither of
the others' classes; STEM Lab, co-taught with José Núñez, stays.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts import services
from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS
from accounts.models import User
from rosters.models import Section, Student
from sandbox import demo
from tests.clever_login import clever_login

from .steps import finish_onboarding, log_in_with_clever, message, sign_in_to_the_admin

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_ADMIN = next(spec for spec in DEMO_ACCOUNTS if spec["staff"])  # admin@example.org


def test_a_teacher_deletes_their_account_on_a_phone(page, clever, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_with_clever(page, teacher="Zoë O'Brien")
    page.get_by_role("button", name="Create my account").click()
    finish_onboarding(page)

    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Delete my account…").click()

    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    what_goes = page.locator(".deletion-list li")
    expect(what_goes).to_contain_text(
        [
            "Your account: name, email address and sign-in",
            "Your Clever connection",
            "Your 5 onboarding answers",  # the five default questions (onboarding/migrations/0002)
            "2 classes only you teach",
            "44 students who are in none of your co-teachers' classes",
        ]
    )
    expect(page.get_by_text("1 class you teach with a co-teacher stays for them")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, "delete-my-account-phone")

    page.get_by_label("Type DELETE to confirm").fill("delete")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Type DELETE in capital letters to delete your account. Nothing was deleted."
    )

    page.get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_role("button", name="Delete my account").click()

    expect(message(page, "Your account and its data were deleted, and you were signed out.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in with Clever")).to_be_visible()
    assert not User.objects.exists()
    assert sorted(Section.objects.values_list("name", flat=True)) == ["STEM Lab - O'Brien - 5"]
    assert Student.objects.count() == 16

    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="How we handle data")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the policy scrolls sideways"


def test_staff_delete_a_teacher_and_their_data_from_the_admin(page, clever, screenshot):
    clever_login(Client(), clever, user_id=demo.ZOE_OBRIEN)
    services.demo_account_ensure(**DEMO_ADMIN)
    sign_in_to_the_admin(page, DEMO_ADMIN)

    page.get_by_role("link", name="Users", exact=True).click()
    page.locator("#searchbar").fill(demo.ZOE_OBRIEN)
    page.get_by_role("button", name="Search").click()
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Delete teacher and their data")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", name="Zoë O'Brien")).to_be_visible()
    expect(page.get_by_text("2 classes only they teach, with their enrollments")).to_be_visible()
    expect(page.get_by_text("44 students in none of their other teachers' classes")).to_be_visible()
    expect(page.get_by_text("Stays: 1 co-taught class, for its other teachers")).to_be_visible()
    screenshot(page, "staff-delete-teacher")
    page.get_by_role("button", name="Yes, delete them and their data").click()

    expect(page.locator("ul.messagelist li")).to_have_text("Deleted 1 account and its data.")
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Audit events").click()
    event = page.locator("#result_list tbody tr").filter(has_text="Account and its data deleted")
    expect(event).to_have_count(1)
    expect(event).to_contain_text(re.compile(r"students deleted: 44, enrollments deleted: 44"))
    assert Student.objects.count() == 16
