"""Why a sync failed, in plain words for staff, from the technical text a run or job recorded.

`SyncRun.error` and `SyncJob.error` start with the kind of failure: a CleverError's class
name (`CleverError.describe()`: "CleverUnavailable: HTTP 503 ..."), or one of the runner's
own ("NeedsFreshLogin", "WorkerLost", "Interrupted"), or an unexpected exception's name.
The admin shows the sentence first and that text second, as the technical detail.
"""

import re

from django.utils.translation import gettext_lazy as _

from . import clever

_KIND = re.compile(r"^(?P<kind>[A-Z][A-Za-z]*): ?(?P<rest>.*)$", re.DOTALL)
_STATUS = re.compile(r"^HTTP (?P<status>\d{3})\b")


# Each kind of failure as staff read it; %(http)s is " (HTTP 401)" when Clever sent a status.
_SENTENCES = {
    clever.CleverRateLimited.__name__: _(
        "Clever asked us to slow down%(http)s for longer than we wait; syncs work again once its "
        "per-minute limit frees up."
    ),
    clever.CleverUnauthorized.__name__: _(
        "Clever refused the token%(http)s: it expired or was revoked, or the district disconnected the app. "
        "The teacher logs in with Clever again, or staff import the district's new token."
    ),
    clever.CleverNotFound.__name__: _("Clever no longer shares this teacher or class with us%(http)s."),
    clever.CleverBadRequest.__name__: _(
        "Clever refused our request%(http)s: likely a fault on our side, worth telling the developers."
    ),
    clever.CleverBadResponse.__name__: _(
        "Clever sent a reply we could not read; it usually passes, so the next sync may work."
    ),
    clever.CleverOAuthError.__name__: _("Clever refused to exchange the sign-in for a token%(http)s."),
    clever.CleverError.__name__: _("Talking to Clever failed%(http)s."),
    # The sync's and the background runner's own kinds (rosters.services, rosters.job_runner).
    "NeedsFreshLogin": _(
        "Nothing can reach Clever for this teacher: no district token, and their own token no longer works. "
        "They log in with Clever again, or staff import the district's token."
    ),
    "WorkerLost": _("The background worker running this sync stopped before it finished (restarted or killed)."),
    "Interrupted": _(
        "The process running this sync stopped before it finished; the classes are as they were before it."
    ),
}


def failure_explain(error: str) -> str:
    """Return what went wrong as a sentence staff can act on; "" when nothing did.

    Text that names no kind of failure (e.g. "Another sync of this teacher was running.")
    is already plain, and comes back as it is.
    """
    error = error.strip()
    match = _KIND.match(error)
    if not match:
        return error
    kind, rest = match["kind"], match["rest"]
    status_match = _STATUS.match(rest)
    status = int(status_match["status"]) if status_match else None
    if kind == clever.CleverUnavailable.__name__:
        return _unavailable(status, rest)
    if kind in _SENTENCES:
        return str(_SENTENCES[kind]) % {"http": f" (HTTP {status})" if status else ""}
    return _("Something unexpected went wrong on our side (%(kind)s): the technical detail says what.") % {
        "kind": kind
    }


def _unavailable(status: int | None, rest: str) -> str:
    if status:
        sentence = _("Clever was not responding (HTTP %(status)d)") % {"status": status}
    elif "timed out" in rest:
        sentence = _("Clever did not answer in time")
    else:
        sentence = _("Clever could not be reached")
    # The client retries server errors, timeouts and lost connections before it gives up.
    if status is None or status in clever.RETRY_STATUSES:
        return _("%(sentence)s — tried %(attempts)d times.") % {"sentence": sentence, "attempts": clever.MAX_ATTEMPTS}
    return f"{sentence}."
