"""factory-boy factories for the project's models."""

import factory
from django.contrib.auth import get_user_model

from rosters import models as rosters


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


def make_clever_id(n: int) -> str:
    """Return a Clever-like 24-hex id."""
    return f"{n:024x}"


DISTRICT_ID = make_clever_id(0xD1)


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rosters.Teacher

    clever_id = factory.Sequence(lambda n: make_clever_id(0xA00000 + n))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.first_name}.{o.last_name}@school.example".lower())
    district_id = DISTRICT_ID
    sharing = rosters.Sharing.DISTRICT


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rosters.Section

    clever_id = factory.Sequence(lambda n: make_clever_id(0xB00000 + n))
    name = factory.Sequence(lambda n: f"Section {n}")
    subject = "math"
    grade = "5"
    district_id = DISTRICT_ID


class SectionTeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rosters.SectionTeacher

    section = factory.SubFactory(SectionFactory)
    teacher = factory.SubFactory(TeacherFactory)
    is_primary = True


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rosters.Student

    clever_id = factory.Sequence(lambda n: make_clever_id(0xC00000 + n))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    grade = "5"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rosters.Enrollment

    section = factory.SubFactory(SectionFactory)
    student = factory.SubFactory(StudentFactory)


# --- onboarding -----------------------------------------------------------------

from onboarding import models as onboarding  # noqa: E402 - onboarding's factories are kept together here


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = onboarding.Question

    label = factory.Sequence(lambda n: f"Question {n}")
    kind = onboarding.Question.Kind.SHORT_TEXT
    order = factory.Sequence(lambda n: 100 + n)
    required_for_district = False
    required_for_library = False


class OnboardingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = onboarding.Onboarding

    user = factory.SubFactory(UserFactory)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = onboarding.Answer

    onboarding = factory.SubFactory(OnboardingFactory)
    question = factory.SubFactory(QuestionFactory)
    label = factory.LazyAttribute(lambda o: o.question.label)
    value = ""


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True


# --- accounts -------------------------------------------------------------------


class CleverSocialAccountFactory(factory.django.DjangoModelFactory):
    """A Clever identity (allauth SocialAccount) linked to a user."""

    class Meta:
        model = "socialaccount.SocialAccount"

    user = factory.SubFactory(UserFactory)
    provider = "clever"
    uid = factory.Sequence(lambda n: make_clever_id(0xE00000 + n))
    extra_data = factory.LazyAttribute(lambda o: {"clever_id": o.uid, "user_type": "teacher"})


def clever_teacher_user(*, clever_id: str | None = None, sharing=rosters.Sharing.DISTRICT, **user_fields):
    """Return a user linked to Clever the way a Clever login leaves them: SocialAccount plus Teacher."""
    user = UserFactory(**user_fields)
    account = CleverSocialAccountFactory(user=user, **({"uid": clever_id} if clever_id else {}))
    district_id = "" if sharing == rosters.Sharing.LIBRARY else DISTRICT_ID
    TeacherFactory(clever_id=account.uid, user=user, sharing=sharing, district_id=district_id)
    return user
