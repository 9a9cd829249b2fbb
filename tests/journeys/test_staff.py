"""Staff's journey in a real browser: the Django admin syncs a teacher from Clever."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts import services
from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS
from sandbox import demo
from tests.clever_login import clever_login

# The live server needs committed data; serialized_rollback brings back the migrations' data (conftest).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_ADMIN = next(spec for spec in DEMO_ACCOUNTS if spec["staff"])  # admin@example.org


def test_staff_sync_a_co_teacher_from_clever_with_the_districts_token(page, clever, screenshot):
    # Zoë O'Brien signed in with Clever earlier, so we know her co-teacher José Núñez by his
    # Clever id only: he never signed in, and we hold no token that could read his classes.
    clever_login(Client(), clever, user_id=demo.ZOE_OBRIEN)
    services.demo_account_ensure(**DEMO_ADMIN)  # as `manage.py demo_accounts` does

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.get_by_label("Username").fill(DEMO_ADMIN["email"])
    page.get_by_label("Password").fill(DEMO_ADMIN["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    # Find him and sync him: the admin says what is missing.
    _find_teacher(page, demo.JOSE_NUNEZ)
    row = _teacher_row(page, demo.JOSE_NUNEZ)
    expect(_columns(row)).to_contain_text([demo.JOSE_NUNEZ, "-", demo.JOSE_NUNEZ, "District", demo.DISTRICT])
    _sync_selected(page, row)
    expect(_message(page, f"Need a fresh Clever login or a district token: {demo.JOSE_NUNEZ}")).to_be_visible()

    # Districts → Import tokens from Clever: the sandbox's district shares this app.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Districts").click()
    expect(page.get_by_role("heading", name="Select district to change")).to_be_visible()
    expect(page.get_by_text("0 districts")).to_be_visible()
    page.get_by_role("button", name="Import tokens from Clever").click()
    expect(_message(page, "Imported from Clever: 1 new, 0 updated.")).to_be_visible()
    token_row = page.locator("#result_list tbody tr")
    expect(token_row).to_have_count(1)
    expect(_columns(token_row)).to_contain_text(["Demo District", demo.DISTRICT, "Connected"])
    expect(token_row.get_by_role("img", name="True")).to_be_visible()  # the token column: stored, never shown

    # Sync him again: now it works, and Clever fills in his name and email.
    page.get_by_role("link", name="Home").click()
    _find_teacher(page, demo.JOSE_NUNEZ)
    _sync_selected(page, _teacher_row(page, demo.JOSE_NUNEZ))
    expect(_message(page, "Synced 1 teacher.")).to_be_visible()
    row = _teacher_row(page, demo.JOSE_NUNEZ)
    expect(_columns(row)).to_contain_text(
        ["José Núñez", "jose.nunez@demodistrict.example", demo.JOSE_NUNEZ, "District", demo.DISTRICT]
    )
    # And by name, as staff would look for him from now on.
    _find_teacher(page, "Núñez")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(_teacher_row(page, demo.JOSE_NUNEZ)).to_contain_text("José Núñez")

    # Sync runs: his admin-triggered run succeeded, after Zoë's login sync.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Sync runs").click()
    runs = page.locator("#result_list tbody tr")
    expect(runs).to_have_count(2)
    expect(_columns(runs.nth(0))).to_contain_text(["José Núñez", "Admin action", "Succeeded"])
    expect(_columns(runs.nth(1))).to_contain_text(["Zoë O'Brien", "Login", "Succeeded"])
    screenshot(page, "staff-sync")


def _find_teacher(page: Page, query: str) -> None:
    """Rosters → Teachers, and search for `query`."""
    if not re.search(r"/admin/rosters/teacher/", page.url):
        page.get_by_role("link", name="Teachers").click()
    expect(page.get_by_role("heading", name="Select teacher to change")).to_be_visible()
    page.locator("#searchbar").fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#searchbar")).to_have_value(query)


def _teacher_row(page: Page, clever_id: str):
    return page.locator("#result_list tbody tr").filter(has_text=clever_id)


def _columns(row):
    """A change list row's columns, the linked first one (a <th>) included."""
    return row.locator("th, td")


def _sync_selected(page: Page, row) -> None:
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Sync selected teachers from Clever")
    page.get_by_role("button", name="Go").click()


def _message(page: Page, text: str):
    return page.locator("ul.messagelist li").filter(has_text=text)
