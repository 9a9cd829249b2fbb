"""The Content-Security-Policy: on every response, and nothing in our templates that it would block.

The browser journeys (tests/journeys) fail on any violation a real browser reports; this
reads the templates themselves, so a page no journey visits is covered too.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import StaffUserFactory
from tests.production import directives

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [BASE_DIR / "templates", *sorted(BASE_DIR.glob("*/templates"))]
INLINE = re.compile(
    r"""<style\b                        # a <style> block
      | \sstyle\s*=                     # a style="..." attribute
      | <script\b(?![^>]*\bsrc=)(?![^>]*type="application/json")  # a script with no src (JSON data is fine)
      | \son[a-z]+\s*=                  # an onclick="..." handler
      | javascript:                     # a javascript: URL
    """,
    re.X | re.I,
)
POLICY = {"default-src": "'self'", "base-uri": "'self'", "object-src": "'none'", "frame-ancestors": "'none'"}


def test_the_template_directories_are_found():
    names = {path.relative_to(BASE_DIR).as_posix() for path in TEMPLATE_DIRS}
    assert {
        "templates",
        "accounts/templates",
        "onboarding/templates",
        "rosters/templates",
        "sandbox/templates",
    } <= names


def test_no_template_of_ours_has_an_inline_script_or_style():
    found = [
        f"{path.relative_to(BASE_DIR)}:{text[: match.start()].count(chr(10)) + 1}: {match.group(0).strip()}"
        for directory in TEMPLATE_DIRS
        for path in sorted(directory.rglob("*.*"))
        for text in [path.read_text(encoding="utf-8")]
        for match in INLINE.finditer(text)
    ]

    assert found == []


def test_the_scan_finds_what_csp_blocks():
    snippets = ['<p style="color:red">', "<style>p{}</style>", "<script>alert(1)</script>", '<a onclick="x()">']
    assert [bool(INLINE.search(snippet)) for snippet in snippets] == [True] * 4
    assert not INLINE.search('<script src="/static/x.js" defer></script><link rel="stylesheet" href="x.css">')


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/sandbox/clever/", "/sandbox/clever/sandbox.css"])
def test_every_page_carries_the_policy(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_the_admin_carries_the_same_policy(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert directives(response["Content-Security-Policy"]) == POLICY
