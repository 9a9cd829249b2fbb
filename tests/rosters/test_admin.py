"""The roster admin: every screen opens, Clever's data is read-only, tokens are never shown."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rosters.models import DistrictToken, SyncJob, SyncRun
from sandbox import demo
from tests.admin_pages import change_page_sections, change_page_values, changelist_columns, changelist_rows
from tests.factories import (
    EnrollmentFactory,
    SectionFactory,
    SectionTeacherFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)
from tests.fixtures import RIVERA

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def roster():
    link = SectionTeacherFactory(teacher=TeacherFactory(token="il-secret-teacher-token"))
    enrollment = EnrollmentFactory(section=link.section)
    run = SyncRun.objects.create(
        teacher=link.teacher, trigger=SyncRun.Trigger.COMMAND, outcome=SyncRun.Outcome.SUCCESS, created=3
    )
    job = SyncJob.objects.create(teacher=link.teacher, trigger=SyncRun.Trigger.ADMIN, last_run=run)
    token = DistrictToken.objects.create(district_id="d1", name="Demo District", token="district-secret-token")
    return {
        "teacher": link.teacher,
        "section": link.section,
        "student": enrollment.student,
        "syncrun": run,
        "syncjob": job,
        "districttoken": token,
    }


@pytest.mark.parametrize("model", ["teacher", "section", "student", "syncrun", "syncjob", "districttoken"])
def test_changelist_search_and_change_pages_open(admin_client, roster, model):
    obj = roster[model]
    changelist = reverse(f"admin:rosters_{model}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "a"}).status_code == 200
    page = admin_client.get(reverse(f"admin:rosters_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert b"secret" not in page.content  # no token on any admin page


def test_teachers_and_students_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:rosters_teacher_add")).status_code == 403
    assert admin_client.get(reverse("admin:rosters_student_add")).status_code == 403
    assert admin_client.get(reverse("admin:rosters_syncrun_add")).status_code == 403


def test_sync_runs_filter_by_outcome(admin_client, roster):
    SyncRun.objects.create(
        teacher=roster["teacher"], trigger=SyncRun.Trigger.LOGIN, outcome=SyncRun.Outcome.FAILED, error="boom"
    )
    response = admin_client.get(reverse("admin:rosters_syncrun_changelist"), {"outcome__exact": "failed"})
    assert [run.outcome for run in response.context["cl"].result_list] == ["failed"]


def test_district_token_is_write_only(admin_client):
    add = reverse("admin:rosters_districttoken_add")
    response = admin_client.post(
        add, {"district_id": "d2", "name": "North", "token": "tok-north-123", "sync_mode": "full"}
    )
    assert response.status_code == 302
    token = DistrictToken.objects.get(district_id="d2")
    assert token.token == "tok-north-123"

    change = reverse("admin:rosters_districttoken_change", args=[token.pk])
    assert b"tok-north-123" not in admin_client.get(change).content
    # Saving with the field left empty keeps the stored token.
    admin_client.post(change, {"district_id": "d2", "name": "North district", "token": "", "sync_mode": "full"})
    token.refresh_from_db()
    assert (token.name, token.token) == ("North district", "tok-north-123")


def test_a_new_district_token_needs_a_token(admin_client):
    response = admin_client.post(
        reverse("admin:rosters_districttoken_add"), {"district_id": "d3", "token": "", "sync_mode": "full"}
    )
    assert response.status_code == 200
    assert "Enter the district&#x27;s token." in response.content.decode()
    assert not DistrictToken.objects.filter(district_id="d3").exists()


def test_tokens_are_encrypted_at_rest(roster):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM rosters_districttoken WHERE district_id = %s", ["d1"])
        (stored,) = cursor.fetchone()
    assert stored
    assert "district-secret-token" not in stored


def test_sync_action_reports_teachers_who_need_a_fresh_login(admin_client):
    teacher = TeacherFactory(token="", last_synced_at=timezone.now())
    response = admin_client.post(
        reverse("admin:rosters_teacher_changelist"),
        {"action": "sync_from_clever", "_selected_action": [teacher.pk]},
        follow=True,
    )
    assert "Need a fresh Clever login or a district token" in response.content.decode()
    assert not SyncRun.objects.exists()


# --- The token import overwrites tokens: it needs the change permission too ------------------


def _staff_with(*codenames):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="rosters", codename__in=codenames))
    return user


def test_importing_tokens_needs_the_change_permission(client, clever_sandbox):
    DistrictToken.objects.create(district_id=demo.DISTRICT, name="Demo District", token="the-stored-token")
    client.force_login(_staff_with("view_districttoken", "add_districttoken"))

    page = client.get(reverse("admin:rosters_districttoken_changelist")).content.decode()
    response = client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    assert "Import tokens from Clever" not in page
    assert "You may not add or change district tokens." in response.content.decode()
    assert DistrictToken.objects.get().token == "the-stored-token"
    assert clever_sandbox.state.count_calls("/oauth/tokens") == 0


def test_staff_who_may_add_and_change_tokens_import_them(client, clever_sandbox):
    DistrictToken.objects.create(district_id=demo.DISTRICT, name="Demo District", token="the-stored-token")
    client.force_login(_staff_with("view_districttoken", "add_districttoken", "change_districttoken"))

    page = client.get(reverse("admin:rosters_districttoken_changelist")).content.decode()
    response = client.post(reverse("admin:rosters_districttoken_import"), follow=True)

    assert "Import tokens from Clever" in page
    assert "Imported from Clever: 0 new, 1 updated." in response.content.decode()
    assert DistrictToken.objects.get().token == clever_sandbox.state.district_token(demo.DISTRICT)


# --- "Sync selected teachers" --------------------------------------------------------------------


def _sync_action(admin_client, teachers):
    return admin_client.post(
        reverse("admin:rosters_teacher_changelist"),
        {"action": "sync_from_clever", "_selected_action": [teacher.pk for teacher in teachers]},
        follow=True,
    )


def test_with_workers_the_sync_action_queues_one_job_per_teacher(admin_client, database_tasks):
    teachers = [TeacherFactory() for _ in range(3)]

    response = _sync_action(admin_client, teachers)

    assert "Queued 3 syncs: the workers run them in the background" in response.content.decode()
    jobs = SyncJob.objects.order_by("teacher_id")
    assert [(job.teacher_id, job.status, job.trigger) for job in jobs] == [
        (teacher.pk, SyncJob.Status.QUEUED, SyncRun.Trigger.ADMIN) for teacher in teachers
    ]
    assert not SyncRun.objects.exists()  # nothing ran inside the request


def test_without_workers_the_sync_action_refuses_more_teachers_than_it_may_sync_while_staff_wait(
    admin_client, settings
):
    settings.ROSTER_ADMIN_SYNC_INLINE_MAX = 10
    teachers = [TeacherFactory(token="a-token") for _ in range(11)]

    response = _sync_action(admin_client, teachers)

    text = response.content.decode()
    assert "11 teachers are too many to sync while you wait (at most 10 here" in text
    assert "manage.py sync_rosters --enqueue" in text
    assert not SyncRun.objects.exists()
    assert not SyncJob.objects.exists()


def test_without_workers_the_sync_action_syncs_a_few_teachers_at_once(admin_client, clever_sandbox):
    from tests.rosters.helpers import teacher_row

    ruth = teacher_row(demo.RUTH_OKAFOR)
    ruth.token = clever_sandbox.state.user_token(demo.RUTH_OKAFOR)
    ruth.save()

    response = _sync_action(admin_client, [ruth])

    assert "Synced 1 teacher." in response.content.decode()
    assert list(SyncRun.objects.values_list("trigger", "outcome")) == [("admin", "success")]


# --- Clever's values as teachers read them ----------------------------------------------------------

LINCOLN = "5c00000000000000000000aa"


@pytest.fixture
def lincoln_sections():
    """Sections of Lincoln High (named by a synced teacher's row) and of a school no sync has named yet."""
    TeacherFactory(school_id=LINCOLN, school_name="Lincoln High")
    algebra = SectionFactory(name="Algebra", subject="math", grade="9", period="1", school_id=LINCOLN)
    EnrollmentFactory(section=algebra)
    SectionFactory(name="Spanish", subject="language", grade="10", period="2", school_id=LINCOLN)
    SectionFactory(
        name="Circle time", subject="other", grade="Kindergarten", period="", school_id="5c00000000000000000000bb"
    )
    SectionFactory(name="Toddlers", subject="", grade="PreKindergarten", period="", school_id="")


def test_sections_read_as_teachers_read_them_with_the_schools_name(admin_client, lincoln_sections):
    page = admin_client.get(reverse("admin:rosters_section_changelist"), {"o": "1"})

    assert changelist_columns(page) == ["Name", "Subject", "Grade", "Period", "School", "Students"]
    assert changelist_rows(page) == [
        ["Algebra", "Math", "Grade 9", "1", "Lincoln High", "1"],
        ["Circle time", "Other", "Kindergarten", "-", "5c00000000000000000000bb", "0"],
        ["Spanish", "World languages", "Grade 10", "2", "Lincoln High", "0"],
        ["Toddlers", "-", "Pre-K", "-", "-", "0"],
    ]


def test_section_filters_offer_labels_in_school_order(admin_client, lincoln_sections):
    page = admin_client.get(reverse("admin:rosters_section_changelist"))

    choices = {
        str(spec.title): [choice["display"] for choice in spec.choices(page.context["cl"])][1:]  # after "All"
        for spec in page.context["cl"].filter_specs
    }
    assert choices == {
        "subject": ["Math", "Other", "World languages"],
        "grade": ["Pre-K", "Kindergarten", "Grade 9", "Grade 10"],
        "school": ["5c00000000000000000000bb", "Lincoln High"],
    }
    filtered = admin_client.get(reverse("admin:rosters_section_changelist"), {"grade": "Kindergarten"})
    assert [row[0] for row in changelist_rows(filtered)] == ["Circle time"]


def test_a_sections_page_shows_labels_first_and_clevers_values_collapsed(admin_client, lincoln_sections):
    from rosters.models import Section

    algebra = Section.objects.get(name="Algebra")

    page = admin_client.get(reverse("admin:rosters_section_change", args=[algebra.pk]))

    assert change_page_sections(page) == [("", False), ("As Clever sends it", True)]
    values = change_page_values(page)
    assert [values[label] for label in ("Subject", "Grade", "School")] == ["Math", "Grade 9", "Lincoln High"]
    assert [values[label] for label in ("Clever's subject", "Clever's grade", "School ID")] == ["math", "9", LINCOLN]


def test_students_grades_read_as_teachers_read_them(admin_client):
    StudentFactory(first_name="Ada", last_name="Lovelace", grade="Kindergarten", clever_id="5d00000000000000000000a1")
    StudentFactory(first_name="Ben", last_name="Okafor", grade="11", clever_id="5d00000000000000000000b2")

    page = admin_client.get(reverse("admin:rosters_student_changelist"))

    assert changelist_rows(page) == [
        ["Ada Lovelace", "Kindergarten", "5d00000000000000000000a1", "-"],
        ["Ben Okafor", "Grade 11", "5d00000000000000000000b2", "-"],
    ]


# --- A failed sync in plain words, the technical detail second ---------------------------------------------


def test_a_failed_sync_reads_in_plain_words_first_and_technically_second(admin_client, harbor):
    from tests.rosters.helpers import teacher_row

    rivera = teacher_row(RIVERA)
    rivera.token = harbor.state.user_token(RIVERA)
    rivera.save()
    harbor.state.add_fault("/v2.0/teachers/*", 503, times=None)

    response = _sync_action(admin_client, [rivera])

    plain = "Clever was not responding (HTTP 503) — tried 4 times."
    assert f"Sync failed for {RIVERA}: {plain}" in response.content.decode()
    assert harbor.state.count_calls(f"/v2.0/teachers/{RIVERA}") == 4
    run = SyncRun.objects.get()
    listing = admin_client.get(reverse("admin:rosters_syncrun_changelist"))
    assert changelist_columns(listing) == [
        "Started",
        "Teacher or district",
        "Mode",
        "Trigger",
        "Outcome",
        "Changes",
        "What went wrong",
    ]
    assert changelist_rows(listing)[0][1:] == [RIVERA, "One teacher", "Admin action", "Failed", "none", plain]
    page = admin_client.get(reverse("admin:rosters_syncrun_change", args=[run.pk]))
    values = change_page_values(page)
    assert values["What went wrong"] == plain
    assert values["Message to the teacher"] == "Clever is not responding right now. Please try again in a few minutes."
    assert values["Error"] == "CleverUnavailable: HTTP 503 Service unavailable"
    assert change_page_sections(page)[-1] == ("Technical detail", True)
    text = page.content.decode()
    assert text.index(plain) < text.index("CleverUnavailable: HTTP 503")


def test_a_successful_runs_page_has_no_technical_section(admin_client, roster):
    page = admin_client.get(reverse("admin:rosters_syncrun_change", args=[roster["syncrun"].pk]))

    assert [name for name, _collapsed in change_page_sections(page)] == ["", "What changed", "Timing"]
    assert change_page_values(page)["What went wrong"] == ""


# --- Framework screens: named for staff, or kept for superusers ---------------------------------------------


def _staff_who_may_view_everything():
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


def test_background_syncs_are_named_for_staff_and_say_when_there_are_none(client):
    client.force_login(_staff_who_may_view_everything())

    index = client.get(reverse("admin:index"))
    page = client.get(reverse("admin:rosters_syncjob_changelist")).content.decode()

    rosters = next(app for app in index.context["app_list"] if app["app_label"] == "rosters")
    assert "Background syncs" in [model["name"] for model in rosters["models"]]
    assert "No background syncs yet. They appear here when staff use" in page
    assert "0 background syncs" not in page


def test_task_results_are_hidden_from_staff_who_are_not_superusers(client):
    client.force_login(_staff_who_may_view_everything())

    index = client.get(reverse("admin:index"))
    results = client.get("/admin/django_tasks_database/dbtaskresult/")

    assert "Background tasks (technical)" not in [str(app["name"]) for app in index.context["app_list"]]
    assert "Task Results" not in index.content.decode()
    assert results.status_code == 403


def test_superusers_find_task_results_under_background_tasks(admin_client):
    index = admin_client.get(reverse("admin:index"))

    sections = {str(app["name"]): [str(model["name"]) for model in app["models"]] for app in index.context["app_list"]}
    assert sections["Background tasks (technical)"] == ["Task Results"]
    assert admin_client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200


def test_the_admin_is_named_after_the_product(admin_client, settings):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "<title>Classroom administration | Classroom admin</title>" in page
    assert '<a href="/admin/">Classroom admin</a>' in page
    assert "Django administration" not in page
