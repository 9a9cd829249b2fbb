from datetime import timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from accounts.models import User
from accounts.services import user_plan_apply
from rosters.models import Sharing
from tests.factories import UserFactory, clever_teacher_user

pytestmark = pytest.mark.django_db


def test_district_sharing_gives_premium():
    user = UserFactory()

    user_plan_apply(user=user, sharing=Sharing.DISTRICT)

    assert User.objects.get(pk=user.pk).plan == User.Plan.PREMIUM


def test_library_sharing_starts_a_trial_of_the_configured_length(settings):
    settings.LIBRARY_TRIAL_DAYS = 30
    user = UserFactory()

    user_plan_apply(user=user, sharing=Sharing.LIBRARY)

    user.refresh_from_db()
    assert user.plan == User.Plan.TRIAL
    assert user.trial_active
    assert timezone.now() + timedelta(days=29) < user.trial_ends_at <= timezone.now() + timedelta(days=30)


def test_library_login_again_keeps_the_trial_end_date():
    user = UserFactory()
    user_plan_apply(user=user, sharing=Sharing.LIBRARY)
    first_end = User.objects.get(pk=user.pk).trial_ends_at

    user_plan_apply(user=user, sharing=Sharing.LIBRARY)

    assert User.objects.get(pk=user.pk).trial_ends_at == first_end


def test_a_trial_that_ran_out_is_not_restarted():
    ended = timezone.now() - timedelta(days=1)
    user = UserFactory(plan=User.Plan.TRIAL, trial_ends_at=ended)

    user_plan_apply(user=user, sharing=Sharing.LIBRARY)

    user.refresh_from_db()
    assert (user.plan, user.trial_ends_at, user.trial_active) == (User.Plan.TRIAL, ended, False)


def test_library_teacher_moves_to_premium_when_the_district_shares_them():
    user = UserFactory()
    user_plan_apply(user=user, sharing=Sharing.LIBRARY)

    user_plan_apply(user=user, sharing=Sharing.DISTRICT)

    assert User.objects.get(pk=user.pk).plan == User.Plan.PREMIUM


@pytest.mark.parametrize("sharing", [Sharing.LIBRARY, Sharing.DISTRICT])
def test_a_premium_plan_staff_set_is_never_downgraded(sharing):
    user = UserFactory(plan=User.Plan.PREMIUM)

    user_plan_apply(user=user, sharing=sharing)

    assert User.objects.get(pk=user.pk).plan == User.Plan.PREMIUM


def test_staff_ending_a_trial_to_free_is_kept_on_library_logins():
    user = UserFactory(plan=User.Plan.FREE, trial_ends_at=timezone.now() + timedelta(days=3))

    user_plan_apply(user=user, sharing=Sharing.LIBRARY)

    assert User.objects.get(pk=user.pk).plan == User.Plan.FREE


def test_trial_banner_and_account_page_show_the_end_date(account_page):
    end = timezone.now() + timedelta(days=12)
    user = clever_teacher_user(sharing=Sharing.LIBRARY, plan=User.Plan.TRIAL, trial_ends_at=end)

    page = account_page(user)

    text = page.content.decode()
    assert page.status_code == 200
    assert "free trial from the Clever Library until" in text
    assert f"Your free trial ends on {date_filter(timezone.localtime(end), 'DATE_FORMAT')}." in text
    assert "You, through the Clever Library" in text
    assert user.teacher.clever_id in text
    assert 'href="/onboarding/"' in text
    assert "Edit your onboarding answers" in text


def test_account_page_of_a_district_teacher(account_page):
    user = clever_teacher_user(sharing=Sharing.DISTRICT, plan=User.Plan.PREMIUM)

    text = account_page(user).content.decode()

    assert "Premium" in text
    assert "Your district shares this app with you." in text
    assert user.teacher.district_id in text


def test_account_page_needs_a_signed_in_user(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_page_of_a_local_account(client):
    client.force_login(UserFactory(first_name="Lou", last_name="Local"))

    text = client.get("/account/").content.decode()

    assert "Lou Local" in text
    assert "This account is not connected to Clever." in text
    assert 'href="/account/"' in text  # the nav link
