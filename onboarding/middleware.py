"""The first-login gate: a Clever teacher who has not finished onboarding sees /onboarding/ first."""

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import redirect
from django.urls import get_script_prefix, reverse

from .selectors import GateStatus, onboarding_gate_status


class OnboardingGateMiddleware:
    """Redirect signed-in teachers with an unfinished onboarding to the questionnaire.

    Runs after AuthenticationMiddleware. Costs nothing for anonymous users and for
    exempt paths, and one indexed query (`onboarding_gate_status`) otherwise. It does not
    cache the answer in the session, so a reset from the admin applies on the next page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_onboard(request):
            return redirect("onboarding:form")
        return self.get_response(request)

    def _must_onboard(self, request) -> bool:
        path = request.path
        if path.startswith(self._open_prefixes()):
            return False
        user = request.user
        if not user.is_authenticated:
            return False
        if user.is_staff and path.startswith(reverse("admin:index")):
            return False
        return onboarding_gate_status(user_id=user.pk) is GateStatus.PENDING

    @staticmethod
    def _open_prefixes() -> tuple[str, ...]:
        """Return the paths every signed-in user reaches, onboarded or not."""
        script_prefix = get_script_prefix()
        prefixes = [
            reverse("onboarding:form"),
            reverse("account_logout"),
            # The data policy, and leaving instead of answering.
            reverse("privacy:policy"),
            reverse("accounts:delete"),
            reverse("favicon"),
            # Clever's login and callback: a teacher who signs in again must get through.
            f"{script_prefix}accounts/clever/",
            f"{script_prefix}sandbox/",
        ]
        for url in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", "")):
            url_path = urlsplit(url or "").path
            if url_path and url_path != "/":
                prefixes.append(url_path)
        return tuple(prefixes)
