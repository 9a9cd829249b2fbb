from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import User
from rosters.models import DistrictToken, Sharing, Teacher
from tests.admin_pages import change_page_sections, change_page_values, changelist_columns, changelist_rows
from tests.factories import CleverSocialAccountFactory, StaffUserFactory, UserFactory, clever_teacher_user

pytestmark = pytest.mark.django_db

SECRET_TOKEN = "ilc_admin_must_never_show_this"
PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def library_teacher():
    user = clever_teacher_user(sharing=Sharing.LIBRARY, first_name="Lena", last_name="Library", plan=User.Plan.TRIAL)
    teacher = user.teacher
    teacher.token = SECRET_TOKEN
    teacher.save()
    return user


def test_the_users_list_names_each_person_and_links_the_name(staff_client, library_teacher):
    User.objects.filter(pk=library_teacher.pk).update(
        email="lena@example.org", trial_ends_at=datetime(2027, 1, 15, 12, tzinfo=UTC)
    )

    page = staff_client.get(reverse("admin:accounts_user_changelist"), {"plan__exact": "trial"})

    assert changelist_columns(page) == ["Name", "Email address", "Plan", "Trial ends", "Shared by", "Staff status"]
    assert changelist_rows(page) == [
        ["Lena Library", "lena@example.org", "Free trial", "01/15/2027", "Clever Library", "False"]
    ]
    change = f"/admin/accounts/user/{library_teacher.pk}/change/?_changelist_filters=plan__exact%3Dtrial"
    assert f'<a href="{change}">Lena Library</a>' in page.content.decode()
    assert SECRET_TOKEN not in page.content.decode()


def test_a_teachers_page_starts_with_the_plan_and_clever_and_ends_with_permissions_collapsed(
    staff_client, library_teacher
):
    page = staff_client.get(reverse("admin:accounts_user_change", args=[library_teacher.pk]))

    assert change_page_sections(page) == [
        ("Plan", False),
        ("Clever", False),
        ("Name and email", False),
        ("Sign-in", False),
        ("Access", False),
        ("Groups and permissions", True),
    ]
    clever = change_page_values(page)
    assert clever["Clever ID"] == library_teacher.teacher.clever_id
    assert clever["Shared by"] == "Clever Library"
    assert clever["District"] == "None: a Clever Library teacher"
    assert clever["Last synced"] == "Never"


def test_a_district_teachers_page_names_their_school_and_district(staff_client):
    user = clever_teacher_user(first_name="Dana", last_name="District")
    Teacher.objects.filter(user=user).update(
        first_name="Dana",
        last_name="District",
        school_name="Lincoln High",
        district_id="d1",
        title="Science Teacher",
        last_synced_at=datetime(2026, 9, 1, 14, 30, tzinfo=UTC),
    )
    DistrictToken.objects.create(district_id="d1", name="Harbor Unified", token="a-district-token")

    values = change_page_values(staff_client.get(reverse("admin:accounts_user_change", args=[user.pk])))

    assert {label: values[label] for label in ("Teacher", "School", "District", "Title", "Last synced")} == {
        "Teacher": "Dana District: classes and last sync",
        "School": "Lincoln High",
        "District": "Harbor Unified",
        "Title": "Science Teacher",
        "Last synced": "Sept. 1, 2026, 2:30 p.m.",
    }


def test_a_staff_members_page_has_no_clever_section(staff_client):
    staff = StaffUserFactory()

    page = staff_client.get(reverse("admin:accounts_user_change", args=[staff.pk]))

    assert [name for name, _collapsed in change_page_sections(page)] == [
        "Plan",
        "Name and email",
        "Sign-in",
        "Access",
        "Groups and permissions",
    ]


@pytest.mark.parametrize("field", ["clever_id", "email", "last_name"])
def test_user_search_by_clever_id_email_and_name(staff_client, library_teacher, field):
    other = UserFactory(first_name="Otto", last_name="Other")
    term = library_teacher.teacher.clever_id if field == "clever_id" else getattr(library_teacher, field)

    page = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": term})

    assert list(page.context["cl"].result_list) == [library_teacher]
    assert other not in page.context["cl"].result_list


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"has_clever": "yes"}, {"lena"}),
        ({"has_clever": "no"}, {"boss", "local"}),
        ({"plan__exact": "trial"}, {"lena"}),
        ({"teacher__sharing__exact": "library"}, {"lena"}),
    ],
)
def test_user_filters(staff_client, library_teacher, query, expected):
    User.objects.filter(pk=library_teacher.pk).update(username="lena")
    UserFactory(username="local")

    page = staff_client.get(reverse("admin:accounts_user_changelist"), query)

    assert {user.username for user in page.context["cl"].result_list} == expected


def test_user_change_page_shows_the_clever_teacher_but_never_the_token(staff_client, library_teacher):
    page = staff_client.get(reverse("admin:accounts_user_change", args=[library_teacher.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert library_teacher.teacher.clever_id in text
    assert SECRET_TOKEN not in text
    assert library_teacher.teacher.token == SECRET_TOKEN  # it is stored, just never displayed


def test_staff_change_a_plan_in_the_admin(staff_client):
    user = UserFactory(plan=User.Plan.FREE)
    page = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "groups"}
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
    data.pop("last_login", None)
    data.pop("user_permissions", None)

    response = staff_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=user.pk).plan == User.Plan.PREMIUM


def test_user_add_page(staff_client):
    assert staff_client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_clever_identities_are_read_only(staff_client):
    account = CleverSocialAccountFactory()

    changelist = staff_client.get(reverse("admin:socialaccount_socialaccount_changelist"), {"q": account.uid})
    change = staff_client.get(reverse("admin:socialaccount_socialaccount_change", args=[account.pk]))
    add = staff_client.get(reverse("admin:socialaccount_socialaccount_add"))

    assert list(changelist.context["cl"].result_list) == [account]
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert add.status_code == 403


def test_no_token_or_app_secret_pages_in_the_admin(staff_client):
    index = staff_client.get(reverse("admin:index")).content.decode()

    assert "/admin/socialaccount/socialtoken/" not in index
    assert "/admin/socialaccount/socialapp/" not in index
    assert "/admin/socialaccount/socialaccount/" in index


def test_admin_index_names_each_section_once_and_users_apart_from_email_addresses(staff_client):
    page = staff_client.get(reverse("admin:index"))

    sections = {app["name"]: [model["name"] for model in app["models"]] for app in page.context["app_list"]}
    assert len(sections) == len(page.context["app_list"]), "two admin sections share a name"
    assert sections["Users and plans"] == ["Plan messages", "Users"]
    assert sections["Accounts"] == ["Email addresses"]


def _admin_sign_in_page(client):
    """Follow /admin/ to the page that asks staff to sign in; return its URL."""
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def test_staff_sign_in_to_the_admin_on_the_sites_sign_in_page(client):
    staff = StaffUserFactory(email="staff@example.org")

    sign_in = _admin_sign_in_page(client)
    assert sign_in == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(sign_in, {"login": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert "Classroom administration" in client.get("/admin/").content.decode()


def test_twelve_wrong_admin_passwords_lock_the_account_so_the_right_one_does_not_open_the_admin(client):
    staff = StaffUserFactory(email="staff@example.org")
    sign_in = _admin_sign_in_page(client)

    for _ in range(12):
        client.post(sign_in, {"login": staff.email, "password": "guess"})
    refused = client.post(sign_in, {"login": staff.email, "password": PASSWORD})

    assert refused.status_code == 200
    assert "Too many failed login attempts. Try again later." in refused.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_admins_own_sign_in_form_is_not_served(client):
    staff = StaffUserFactory(email="staff@example.org")

    response = client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # not signed in


def test_a_signed_in_teacher_cannot_open_the_admin(client):
    client.force_login(UserFactory(email="teacher@example.org"))

    assert client.get("/admin/login/").status_code == 403
