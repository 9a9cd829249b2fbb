"""What a person does and reads in the browser, shared by the journeys.

Every step waits on what the page shows (Playwright's `expect`), never on time.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Locator, Page, expect

CLASSES_URL = re.compile(r"/classes/$")
ONBOARDING_URL = re.compile(r"/onboarding/$")
WELCOME_URL = re.compile(r"/accounts/clever/welcome/$")
# The sandbox's sign-in page, reached from a login we started: it carries our state.
CLEVER_SIGN_IN_URL = re.compile(r"/sandbox/clever/oauth/authorize\?.*\bstate=\w+")


class ClickCounter:
    """Clicks a person makes, counted (a first login must take at most four)."""

    def __init__(self, page: Page):
        self.page = page
        self.count = 0

    def click(self, target: Locator) -> None:
        target.click()
        self.count += 1


def log_in_with_clever(page: Page, *, teacher: str) -> None:
    """From the home page, click "Log in with Clever" and choose `teacher` on Clever's sign-in page."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome, teachers")).to_be_visible()
    page.get_by_role("button", name="Log in with Clever").click()
    expect(page).to_have_url(CLEVER_SIGN_IN_URL)
    expect(page.get_by_text(re.compile(r"Clever will send them back to localhost:\d+\."))).to_be_visible()
    choose_on_clever(page, teacher=teacher, heading="Log in with Clever")


def create_my_account(page: Page) -> None:
    """On "Do you already have an account here?", take the obvious answer."""
    expect(page).to_have_url(WELCOME_URL)
    page.get_by_role("button", name="Continue: create my account").click()


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
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(message(page, "You have signed out.")).to_be_visible()


def question(page: Page, label: str) -> Locator:
    """The questionnaire's field for the question `label` (its label starts with it: "School from Clever")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\b"))


def question_label(page: Page, label: str) -> Locator:
    """The label a person reads above a question, with "(optional)" and "from Clever" when they apply."""
    return page.locator("form label[for], form legend").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\b"))


def message(page: Page, text: str) -> Locator:
    """A message shown at the top of the page (Django's messages) containing `text`."""
    return messages(page).filter(has_text=text)


def messages(page: Page) -> Locator:
    """Every message shown at the top of the page."""
    return page.locator(".messages li")


def field_group(page: Page, label: str) -> Locator:
    """A questionnaire question answered with checkboxes (a fieldset named by its legend)."""
    return page.get_by_role("group", name=label)


def checked_labels(group: Locator) -> list[str]:
    """The texts of the ticked checkboxes in `group`, as a person reads them."""
    return [text.strip() for text in group.locator("label:has(input:checked)").all_inner_texts()]


def selected_option(select: Locator) -> Locator:
    return select.locator("option:checked")


def class_cards(page: Page) -> Locator:
    """The classes on My classes, one card each."""
    return page.locator(".class-card")


def expect_class(page: Page, *, name: str, facts: str, teachers: str | None, students: str) -> Locator:
    """The card of the class `name` reads as given: its facts line, its teachers (None: no line), its count."""
    card = class_cards(page).filter(has=page.get_by_role("link", name=name, exact=True))
    expect(card).to_have_count(1)
    expect(card.locator(".facts")).to_have_text(facts)
    if teachers is None:
        expect(card.locator(".teachers")).to_have_count(0)
    else:
        expect(card.locator(".teachers")).to_have_text(f"Teachers: {teachers}")
    expect(card.locator(".count")).to_have_text(students)
    return card


def student_names(page: Page) -> list[str]:
    """The names in a class's student list, in the order shown (visible rows only)."""
    rows = page.locator("table.students tbody tr:visible")
    return [text.strip() for text in rows.locator("td .name").all_inner_texts()]


def banner(page: Page) -> Locator:
    """The plan banner under the header (a free trial's, running or ended)."""
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


def press_and_read_while_waiting(page: Page, button: Locator, *, then: re.Pattern, times: int = 1) -> tuple[str, bool]:
    """Press `button` (`times` times in a row, as an impatient double click) and return how it looked
    (its text, whether disabled) while the page waited for the answer, once the next page is there.

    A browser answers nothing while a form's answer is pending, so the button's last look is
    noted as it changes (a MutationObserver writing to sessionStorage, which outlives the page)
    and read on the next page (`then`, its URL). The caller makes Clever slow, so there is a wait to see.
    """
    button.evaluate(
        """button => {
            sessionStorage.removeItem("journey-button");
            const note = () => sessionStorage.setItem(
                "journey-button", JSON.stringify([button.textContent.trim(), button.disabled]));
            new MutationObserver(note).observe(button, {attributes: true, childList: true, subtree: true});
        }"""
    )
    # All presses in one go: the browser answers nothing else once the first has sent the form.
    with page.expect_navigation(url=then):
        button.evaluate("(button, times) => { for (let i = 0; i < times; i++) button.click(); }", times)
    page.wait_for_load_state("load")
    seen = page.evaluate("() => sessionStorage.getItem('journey-button')")
    return tuple(json.loads(seen)) if seen else ("(unchanged)", False)
