"""Two submits of the same teacher at the same moment (a double click, two tabs) on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from onboarding import services
from onboarding.models import Answer, Onboarding, Question
from tests.factories import OnboardingFactory, TeacherFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency"),
    # serialized_rollback brings the default questions back for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("already_started", [False, True])
def test_two_submits_at_once_keep_one_onboarding_and_one_answer_per_question(already_started):
    user = TeacherFactory(user=UserFactory()).user
    if already_started:
        OnboardingFactory(user=user)
    email = Question.objects.get(prefill=Question.Prefill.EMAIL)
    school = Question.objects.get(prefill=Question.Prefill.SCHOOL)
    barrier = threading.Barrier(2)
    errors = []

    def submit(address):
        try:
            barrier.wait(timeout=10)
            services.onboarding_submit(user=user, answers={email: address, school: "Lincoln"})
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(f"ana{n}@example.org",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Onboarding.objects.filter(user=user, finished_at__isnull=False).count() == 1
    answers = Answer.objects.filter(onboarding__user=user)
    assert answers.count() == 2
    assert answers.get(question=email).value in ("ana0@example.org", "ana1@example.org")
