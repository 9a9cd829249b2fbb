"""/privacy/: the data policy, with the windows the site runs with, linked from every page's footer."""

import pytest

from tests.factories import clever_teacher_user

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_policy_with_the_default_windows(client, default_windows):
    page = client.get("/privacy/")

    text = " ".join(page.content.decode().split())
    assert page.status_code == 200
    assert "How we handle data" in text
    assert "90 days after they left their last class" in text
    assert "30 days; if the district reconnects within them, nothing is lost" in text
    assert "<td>365 days</td>" in text
    assert "We do not keep birth dates, demographics" in text
    assert "choose “Delete my account” and type DELETE to confirm" in text


def test_the_policy_shows_the_windows_this_site_is_configured_with(client, settings):
    settings.DATA_RETENTION_ARCHIVED_STUDENTS_DAYS = 45
    settings.DATA_RETENTION_DISCONNECTED_DAYS = 1
    settings.DATA_RETENTION_SYNC_RUNS_DAYS = 14
    settings.DATA_RETENTION_AUDIT_DAYS = 730
    settings.PRIVACY_CONTACT_EMAIL = "privacy@classroom.example"

    text = " ".join(client.get("/privacy/").content.decode().split())

    assert "45 days after they left their last class" in text
    assert "1 day; if the district reconnects within it, nothing is lost" in text
    assert "<td>14 days</td>" in text
    assert "<td>730 days</td>" in text
    assert "are deleted 45 days later" in text
    assert '<a href="mailto:privacy@classroom.example">privacy@classroom.example</a>' in text


def test_every_page_links_the_policy_in_its_footer(client):
    home = client.get("/").content.decode()

    assert '<footer class="site-footer">' in home
    assert '<a href="/privacy/">Privacy</a>' in home


def test_a_teacher_who_has_not_finished_onboarding_can_read_it(client):
    client.force_login(clever_teacher_user())

    assert client.get("/classes/")["Location"] == "/onboarding/"  # the gate holds elsewhere
    assert client.get("/privacy/").status_code == 200
