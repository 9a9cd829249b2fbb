from datetime import timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from accounts.models import PlanOffer, User
from accounts.services import user_plan_apply
from rosters.models import DistrictToken, Sharing, Teacher
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


def test_an_active_trial_shows_its_end_in_the_banner_and_what_follows_on_the_account_page(account_page):
    end = timezone.now() + timedelta(days=12)
    user = clever_teacher_user(sharing=Sharing.LIBRARY, plan=User.Plan.TRIAL, trial_ends_at=end)
    ends = date_filter(timezone.localtime(end), "DATE_FORMAT")

    page = account_page(user)

    text = page.content.decode()
    assert page.status_code == 200
    assert f"Free trial from the Clever Library until {ends}." in text  # the banner
    assert 'href="/account/#plan">What happens then?</a>' in text
    assert (
        f"You have everything in Classroom until {ends}, free, because you added it from the Clever Library." in text
    )
    assert "When the trial ends:</strong> Your account, your classes and your students stay here" in text
    assert "You, from the Clever Library (Clever does not share your school with us)" in text
    assert user.teacher.clever_id not in text  # no raw ids
    assert 'href="/onboarding/"' in text
    assert "Change your onboarding answers" in text


def test_an_ended_trial_says_what_changes_and_offers_the_button_staff_set(account_page):
    end = timezone.now() - timedelta(days=2)
    user = clever_teacher_user(sharing=Sharing.LIBRARY, plan=User.Plan.TRIAL, trial_ends_at=end)
    PlanOffer.objects.update(
        trial_ended_text="Your classes stay. Reports stop.",
        action_text="Upgrade to Premium",
        action_url="https://example.org/pricing",
    )
    ended = date_filter(timezone.localtime(end), "DATE_FORMAT")

    text = account_page(user).content.decode()

    assert f"Your free trial ended on {ended}." in text  # the banner and the account page, one wording
    assert 'href="/account/#plan">What changes, and what to do</a>' in text
    assert "<p>Your classes stay. Reports stop.</p>" in text
    assert '<a class="button" href="https://example.org/pricing">Upgrade to Premium</a>' in text


def test_without_a_link_staff_set_there_is_no_button(account_page):
    user = clever_teacher_user(
        sharing=Sharing.LIBRARY, plan=User.Plan.TRIAL, trial_ends_at=timezone.now() - timedelta(days=2)
    )
    assert PlanOffer.objects.get().action_url == ""  # as the migration leaves it

    text = account_page(user).content.decode()

    assert "Premium features stop until you upgrade." in text
    assert "See plans and prices" not in text


def test_account_page_of_a_district_teacher_names_the_school_and_district_and_shows_no_band(account_page):
    user = clever_teacher_user(sharing=Sharing.DISTRICT, plan=User.Plan.PREMIUM)
    Teacher.objects.filter(user=user).update(school_name="Riverside High School")
    DistrictToken.objects.create(district_id=user.teacher.district_id, name="Demo District", token="t")

    text = account_page(user).content.decode()

    assert '<span class="badge premium">Premium</span>' in text
    assert "Your district shares Classroom with you through Clever, so you have everything in it" in text
    assert "<dt>School</dt><dd>Riverside High School</dd>" in text
    assert "<dt>District</dt><dd>Demo District</dd>" in text
    assert user.teacher.district_id not in text
    assert 'class="banner' not in text  # no band that only says "Premium"


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
