"""Staff's journey in a real browser: the Django admin syncs a teacher from Clever."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts import services
from accounts.management.commands.demo_accounts import DEMO_ACCOUNTS
from sandbox import demo
from tests.clever_login import clever_login
from tests.journeys.steps import sign_in_to_the_admin

# The live server needs committed data; serialized_rollback brings back the migrations' data (conftest).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_ADMIN = next(spec for spec in DEMO_ACCOUNTS if spec["staff"])  # admin@example.org
# Serious or critical findings of axe-core on the Django admin's own markup (Django 5.2), left to
# the staff work, which reshapes these pages and owns templates/admin/:
# - link-in-text-block: the breadcrumbs' and the search's "N total" links differ from text by colour only;
# - on a user's page, the groups and permissions pickers' help icons carry an aria-label on a plain
#   span (aria-prohibited-attr), the split date and time inputs of "last login", "date joined" and
#   "trial ends" have no label of their own (label), and the sign-in identities inline scrolls
#   without being focusable (scrollable-region-focusable).
ADMIN_VIOLATIONS_KNOWN = {"link-in-text-block", "aria-prohibited-attr", "label", "scrollable-region-focusable"}


def test_staff_sync_a_co_teacher_from_clever_with_the_districts_token(page, clever, screenshot, page_check):
    # Zoë O'Brien signed in with Clever earlier, so we know her co-teacher José Núñez by his
    # Clever id only: he never signed in, and we hold no token that could read his classes.
    clever_login(Client(), clever, user_id=demo.ZOE_OBRIEN)
    services.demo_account_ensure(**DEMO_ADMIN)  # as `manage.py demo_accounts` does

    sign_in_to_the_admin(page, DEMO_ADMIN)
    _check_admin_page(page, page_check, "admin-index")

    # Find him and sync him: the admin says what is missing.
    _find_teacher(page, demo.JOSE_NUNEZ)
    row = _teacher_row(page, demo.JOSE_NUNEZ)
    expect(_columns(row)).to_contain_text([demo.JOSE_NUNEZ, "-", "-", "District", "Never"])
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
    row = _teacher_row(page, "José Núñez")
    expect(_columns(row)).to_contain_text(
        ["José Núñez", "jose.nunez@demodistrict.example", "Riverside High School", "District"]
    )
    _check_admin_page(page, page_check, "admin-teachers")
    # And by name, as staff would look for him from now on.
    _find_teacher(page, "Núñez")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(_teacher_row(page, "José Núñez")).to_contain_text("jose.nunez@demodistrict.example")

    # Sync runs: his admin-triggered run succeeded, after Zoë's login sync.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Sync runs").click()
    runs = page.locator("#result_list tbody tr")
    expect(runs).to_have_count(2)
    expect(_columns(runs.nth(0))).to_contain_text(["José Núñez", "Admin action", "Succeeded"])
    expect(_columns(runs.nth(1))).to_contain_text(["Zoë O'Brien", "Login", "Succeeded"])
    screenshot(page, "staff-sync")

    # The users list and a user's page: what staff open most.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Users", exact=True).click()
    _check_admin_page(page, page_check, "admin-users")
    page.locator("#result_list tbody tr").filter(has_text="O'Brien").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Change user")).to_be_visible()
    _check_admin_page(page, page_check, "admin-user")


def _check_admin_page(page: Page, page_check, name: str) -> None:
    """Check an admin page as teachers' pages are, and keep what axe-core found next to its screenshots.

    The layout is the Django admin's own (the staff work reshapes it); the findings are
    written to artifacts/journeys/<name>-axe.json for that work, and those of our own
    templates must be none.
    """
    results = page_check(page, name, enforce=False)
    report = [{"width": r.width, "scroll_width": r.scroll_width, "violations": r.violations} for r in results]
    (results[0].screenshot.parent / f"{name}-axe.json").write_text(json.dumps(report, indent=2))
    found = {violation["id"] for result in results for violation in result.violations}
    assert found <= ADMIN_VIOLATIONS_KNOWN, (
        f"{name}: new serious accessibility violations {found - ADMIN_VIOLATIONS_KNOWN}"
    )


def test_staff_find_a_teachers_plan_without_scrolling_on_a_1280_by_800_screen(page, clever, screenshot):
    clever_login(Client(), clever, user_id=demo.ZOE_OBRIEN)  # a district teacher: Premium
    services.demo_account_ensure(**DEMO_ADMIN)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_the_admin(page, DEMO_ADMIN)
    expect(page).to_have_title("Classroom administration | Classroom admin")

    # Users: every column on screen, each person linked by their name.
    page.get_by_role("link", name="Users", exact=True).click()
    results = page.locator("#changelist .results")
    expect(page.locator("#result_list thead th")).to_have_text(
        ["", "Name", "Email address", "Plan", "Trial ends", "Shared by", "Staff status"]
    )
    assert results.evaluate("element => element.scrollWidth <= element.clientWidth")  # no scrolling sideways
    table = page.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= 1280
    zoe = page.locator("#result_list tbody tr").filter(has_text="zoe.obrien@demodistrict.example")
    expect(_columns(zoe)).to_contain_text(["Zoë O'Brien", "Premium", "District"])
    screenshot(page, "staff-users-1280")

    # Her page: the plan and what Clever says of her before any scrolling; permissions folded away.
    zoe.get_by_role("link", name="Zoë O'Brien").click()
    plan = page.get_by_label("Plan:")
    expect(plan).to_have_value("premium")
    expect(plan).to_be_in_viewport()
    box = plan.bounding_box()
    assert box["y"] + box["height"] <= 800
    clever_id = page.locator(".field-clever_id .readonly")
    expect(clever_id).to_have_text(demo.ZOE_OBRIEN)
    expect(clever_id).to_be_in_viewport()
    expect(page.locator(".field-clever_school .readonly")).to_have_text("Riverside High School")
    expect(page.get_by_text("Groups and permissions")).to_be_visible()
    expect(page.locator("#id_user_permissions_from, #id_user_permissions")).not_to_be_visible()
    screenshot(page, "staff-user-1280")


def _find_teacher(page: Page, query: str) -> None:
    """Rosters → Teachers, and search for `query`."""
    if not re.search(r"/admin/rosters/teacher/", page.url):
        page.get_by_role("link", name="Teachers").click()
    expect(page.get_by_role("heading", name="Select teacher to change")).to_be_visible()
    page.locator("#searchbar").fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#searchbar")).to_have_value(query)


def _teacher_row(page: Page, name: str):
    """The list's row of the teacher named `name` (a teacher Clever has not named yet shows their Clever ID)."""
    return page.locator("#result_list tbody tr").filter(has_text=name)


def _columns(row):
    """A change list row's columns, the linked first one (a <th>) included."""
    return row.locator("th, td")


def _sync_selected(page: Page, row) -> None:
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Sync selected teachers from Clever")
    page.get_by_role("button", name="Go").click()


def _message(page: Page, text: str):
    return page.locator("ul.messagelist li").filter(has_text=text)
