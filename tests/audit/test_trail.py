"""Every action on personal data that the data policy lists leaves its event in the audit trail,
written where it happens (the real login, the real admin), naming people by id only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from sandbox import demo
from tests.clever_login import clever_callback, clever_login
from tests.factories import AnswerFactory, OnboardingFactory, StaffUserFactory, UserFactory, clever_teacher_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LINK = "/accounts/clever/welcome/link/"
PRIYA_EMAIL = "priya.raman@example.com"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def trail() -> list[tuple]:
    return list(
        AuditEvent.objects.order_by("pk").values_list("action", "actor", "target_type", "target_id", "ip", "detail")
    )


def test_a_new_clever_account_is_recorded(client, clever_sandbox):
    clever_login(client, clever_sandbox, user_id=demo.HANNAH_MULLER)

    user = User.objects.get(socialaccount__uid=demo.HANNAH_MULLER)
    assert trail() == [
        (
            "clever_account_created",
            f"user:{user.pk}",
            "user",
            str(user.pk),
            "127.0.0.1",
            f"Clever library teacher {demo.HANNAH_MULLER}",
        )
    ]


@pytest.fixture
def priya_pending(client, clever_sandbox):
    """Priya has a local account, has just logged in with Clever, and is asked whether she has an account."""
    local = UserFactory(email=PRIYA_EMAIL, first_name="Priya", last_name="Raman")
    clever_callback(client, clever_sandbox, user_id=demo.PRIYA_RAMAN)
    return local


def test_a_merge_is_recorded(client, priya_pending):
    client.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    assert trail() == [
        (
            "clever_merge_succeeded",
            f"user:{priya_pending.pk}",
            "user",
            str(priya_pending.pk),
            "127.0.0.1",
            f"Clever library teacher {demo.PRIYA_RAMAN}",
        )
    ]


def test_a_wrong_password_then_the_lockout_are_recorded_without_the_email_typed(client, priya_pending):
    for _ in range(5):
        client.post(LINK, {"email": PRIYA_EMAIL, "password": "guess"})
    client.post(LINK, {"email": PRIYA_EMAIL, "password": PASSWORD})

    refused = ("clever_merge_refused", "system:clever_login", "clever_identity", demo.PRIYA_RAMAN, "127.0.0.1")
    locked = ("clever_merge_locked_out", "system:clever_login", "clever_identity", demo.PRIYA_RAMAN, "127.0.0.1")
    assert trail() == [
        *[(*refused, f"invalid_login; Clever teacher {demo.PRIYA_RAMAN}")] * 5,
        (*locked, f"too_many_login_attempts; Clever teacher {demo.PRIYA_RAMAN}"),
    ]
    assert not AuditEvent.objects.filter(detail__contains=PRIYA_EMAIL).exists()


def test_a_merge_into_an_account_that_has_clever_already_is_recorded_as_refused(client, clever_sandbox):
    linked = clever_teacher_user(email="already@example.org")
    clever_callback(client, clever_sandbox, user_id=demo.HANNAH_MULLER)

    client.post(LINK, {"email": "already@example.org", "password": PASSWORD})

    assert trail() == [
        (
            "clever_merge_refused",
            "system:clever_login",
            "user",
            str(linked.pk),
            "127.0.0.1",
            f"AccountHasClever; Clever teacher {demo.HANNAH_MULLER}",
        )
    ]


@pytest.fixture
def staff_client(client):
    staff = StaffUserFactory(username="boss")
    client.force_login(staff)
    client.staff = staff
    return client


def test_an_export_of_onboarding_answers_is_recorded(staff_client):
    onboardings = [AnswerFactory(onboarding=OnboardingFactory()).onboarding for _ in range(2)]

    staff_client.post(
        "/admin/onboarding/onboarding/",
        {"action": "export_answers_csv", ACTION_CHECKBOX_NAME: [o.pk for o in onboardings]},
    )

    user_ids = sorted(o.user_id for o in onboardings)
    assert trail() == [
        (
            "onboarding_exported",
            f"user:{staff_client.staff.pk}",
            "users",
            "",
            "127.0.0.1",
            f"answers of 2 teachers exported as CSV; user ids: {user_ids[0]}, {user_ids[1]}",
        )
    ]


def test_an_onboarding_reset_is_recorded(staff_client):
    onboarding = AnswerFactory(onboarding=OnboardingFactory()).onboarding

    staff_client.post(
        "/admin/onboarding/onboarding/",
        {"action": "reset_onboarding", ACTION_CHECKBOX_NAME: [onboarding.pk], "confirm": "yes"},
    )

    assert trail() == [
        (
            "onboarding_reset",
            f"user:{staff_client.staff.pk}",
            "user",
            str(onboarding.user_id),
            "127.0.0.1",
            "answers deleted: 1",
        )
    ]


def test_a_plan_change_by_staff_is_recorded(staff_client):
    user = UserFactory(plan=User.Plan.FREE)
    form = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "groups"}
    data.pop("last_login", None)
    data.pop("user_permissions", None)
    data.update(
        {
            "plan": User.Plan.PREMIUM,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "teacher-TOTAL_FORMS": "0",
            "teacher-INITIAL_FORMS": "0",
            "socialaccount_set-TOTAL_FORMS": "0",
            "socialaccount_set-INITIAL_FORMS": "0",
        }
    )

    staff_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    unchanged = {**data, "first_name": "Renamed"}
    staff_client.post(reverse("admin:accounts_user_change", args=[user.pk]), unchanged)

    assert trail() == [
        (
            "plan_changed",
            f"user:{staff_client.staff.pk}",
            "user",
            str(user.pk),
            "127.0.0.1",
            "plan: free -> plan: premium",
        )
    ]


def test_the_trail_filters_by_kind_of_actor_and_searches_by_actor(staff_client):
    AuditEvent.objects.create(action=AuditEvent.Action.DATA_PURGED, actor="command:purge_data")
    AuditEvent.objects.create(action=AuditEvent.Action.PLAN_CHANGED, actor="user:7")
    AuditEvent.objects.create(action=AuditEvent.Action.CLEVER_MERGE_REFUSED, actor="system:clever_login")

    def listed(**query):
        page = staff_client.get("/admin/audit/auditevent/", query)
        assert page.status_code == 200
        return sorted(event.actor for event in page.context["cl"].result_list)

    assert listed(actor_kind="command") == ["command:purge_data"]
    assert listed(actor_kind="user") == ["user:7"]
    assert listed(actor_kind="system") == ["system:clever_login"]
    assert listed(q="user:7") == ["user:7"]
    assert listed(action__exact="data_purged") == ["command:purge_data"]
