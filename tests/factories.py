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
