"""
What can go wrong talking to Clever, as one exception type per thing a teacher or a job
would do differently about it.

Every failure of the client becomes a `CleverError` subclass: callers choose by type
(retry, ask for a fresh login, explain) and show `user_message` as it is. `detail` is
Clever's own words, clipped, for logs and `SyncRun.error`; it never holds a token or code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_DETAIL_LIMIT = 200


class CleverError(Exception):
    """Something went wrong talking to Clever. `user_message` is safe to show a teacher."""

    user_message = _("We could not reach Clever. Please try again in a few minutes.")

    def __init__(self, detail: str = "", *, status: int | None = None):
        self.detail = detail[:_DETAIL_LIMIT]
        self.status = status
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return a one-line description for logs, SyncRun.error and support staff."""
        status = f"HTTP {self.status}" if self.status else ""
        text = " ".join(part for part in (status, self.detail) if part)
        return f"{type(self).__name__}: {text}" if text else type(self).__name__


class CleverUnavailable(CleverError):
    """Clever answered 5xx, timed out or could not be reached, after our retries."""

    user_message = _("Clever is not responding right now. Please try again in a few minutes.")


class CleverRateLimited(CleverError):
    """Clever's rate limit held for longer than we are willing to wait."""

    user_message = _("Clever is busy right now. Please try again in a minute.")

    def __init__(self, detail: str = "", *, status: int | None = 429, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(detail, status=status)


class CleverUnauthorized(CleverError):
    """The token was refused (expired, revoked, or the district disconnected)."""

    user_message = _("Your Clever sign-in has expired. Please log in with Clever again.")


class CleverNotFound(CleverError):
    """Clever does not share this record with us (unshared, deleted or out of the token's scope)."""

    user_message = _("Clever no longer shares this information with us.")


class CleverBadRequest(CleverError):
    """Clever refused the request itself (400, 413, 501 and other client errors)."""

    user_message = _("Clever refused our request. Our team has been told; please try again later.")


class CleverBadResponse(CleverError):
    """Clever's reply could not be read: HTML, malformed JSON, or a required field missing."""

    user_message = _("Clever sent a reply we could not read. Please try again in a few minutes.")


class CleverOAuthError(CleverError):
    """The token endpoint refused the exchange (`invalid_grant`, `invalid_client`, ...)."""

    user_message = _("The sign-in with Clever could not be completed. Please try again.")

    def __init__(self, detail: str = "", *, status: int | None = None, error: str = ""):
        self.error = error
        super().__init__(f"{error} {detail}".strip(), status=status)
