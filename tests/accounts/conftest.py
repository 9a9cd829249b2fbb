import pytest
from django.core.cache import cache
from django.test import RequestFactory

from accounts.views import account


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: start every test with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account_page():
    """Render /account/ for a user through the view itself.

    Through the test client, the onboarding gate sends Clever teachers who have not
    finished onboarding to /onboarding/ first; the page's content is what is tested here.
    """

    def render(user):
        request = RequestFactory().get("/account/")
        request.user = user
        return account(request)

    return render
