"""What a person does and reads in the browser, shared by the journeys.

Every step waits on what the page shows (Playwright's `expect`), never on time.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

CLASSES_URL = re.compile(r"/classes/$")
ONBOARDING_URL = re.compile(r"/onboarding/$")
WELCOME_URL = re.compile(r"/accounts/clever/welcome/$")
# The sandbox's sign-in page, reached from a login we started: it carries our state.
CLEVER_SIGN_IN_URL = re.compile(r"/sandbox/clever/oauth/authorize\?.*\bstate=\w+")


def log_in_with_clever(page: Page, *, teacher: str) -> None:
    """From the home page, click "Log in with Clever" and choose `teacher` on Clever's sign-in page."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    page.get_by_role("button", name="Log in with Clever").click()
    expect(page).to_have_url(CLEVER_SIGN_IN_URL)
    expect(page.get_by_text(re.compile(r"Clever will send them back to localhost:\d+\."))).to_be_visible()
    choose_on_clever(page, teacher=teacher, heading="Log in with Clever")


def choose_on_clever(page: Page, *, teacher: str, heading: str) -> None:
    """On a sandbox page listing who can sign in (sign-in page or Portal), click `teacher`."""
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.get_by_role("button", name=teacher).click()


def finish_onboarding(page: Page) -> None:
    """Click Finish on the questionnaire and land on My classes, thanked."""
    page.get_by_role("button", name="Finish").click()
    expect(page).to_have_url(CLASSES_URL)
    expect(message(page, "Thank you, you're all set!")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(message(page, "You have signed out.")).to_be_visible()


def question(page: Page, label: str) -> Locator:
    """The questionnaire's field for the question `label` (its label starts with it: "School from Clever")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\b"))


def question_label(page: Page, label: str) -> Locator:
    """The label a person reads above a question, with "(optional)" and "from Clever" when they apply."""
    return page.locator("form label[for], form legend").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\b"))


def message(page: Page, text: str) -> Locator:
    """A message shown at the top of the page (Django's messages) containing `text`."""
    return page.locator("ul.messages li").filter(has_text=text)


def field_group(page: Page, label: str) -> Locator:
    """A questionnaire question answered with checkboxes (a fieldset named by its legend)."""
    return page.get_by_role("group", name=label)


def checked_labels(group: Locator) -> list[str]:
    """The texts of the ticked checkboxes in `group`, as a person reads them."""
    return [text.strip() for text in group.locator("label:has(input:checked)").all_inner_texts()]


def selected_option(select: Locator) -> Locator:
    return select.locator("option:checked")


def class_rows(page: Page) -> Locator:
    """The rows of the My classes table."""
    return page.get_by_role("table").locator("tbody tr")


def expect_class(page: Page, *, name: str, subject: str, grade: str, teachers: str | re.Pattern, students: str):
    """The My classes row whose class is `name` reads as given (cells: class, subject, grade, teachers, students)."""
    row = class_rows(page).filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row.get_by_role("cell")).to_have_text([re.compile(re.escape(name)), subject, grade, teachers, students])
    return row


def banner(page: Page) -> Locator:
    """The plan banner under the header (free trial or Premium)."""
    return page.locator(".banner")


def sign_in_to_the_admin(page: Page, account: dict) -> None:
    """Open /admin/, which sends staff to the site's sign-in page (and its limits), and sign in with email."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))
    form = page.locator("form").filter(has=page.get_by_label("Password"))
    form.get_by_label("Email").fill(account["email"])
    form.get_by_label("Password").fill(account["password"])
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Classroom administration")).to_be_visible()
