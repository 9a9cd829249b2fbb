"""Why a sync failed, in plain words for staff, read from the error text a run or job recorded."""

import pytest

from rosters.failures import failure_explain

REFUSED = (
    "Clever refused the token (HTTP 401): it expired or was revoked, or the district disconnected the app. "
    "The teacher logs in with Clever again, or staff import the district's new token."
)


@pytest.mark.parametrize(
    ("error", "plain"),
    [
        ("CleverUnavailable: HTTP 503 Service unavailable", "Clever was not responding (HTTP 503) — tried 4 times."),
        ("CleverUnavailable: HTTP 500", "Clever was not responding (HTTP 500) — tried 4 times."),
        ("CleverUnavailable: HTTP 505 HTTP Version Not Supported", "Clever was not responding (HTTP 505)."),
        ("CleverUnavailable: timed out", "Clever did not answer in time — tried 4 times."),
        ("CleverUnavailable: connection failed", "Clever could not be reached — tried 4 times."),
        ("CleverUnauthorized: HTTP 401 Invalid token", REFUSED),
        (
            "CleverRateLimited: HTTP 429 rate limited; retry in 40s",
            "Clever asked us to slow down (HTTP 429) for longer than we wait; syncs work again once its "
            "per-minute limit frees up.",
        ),
        ("CleverNotFound: HTTP 404 Not Found", "Clever no longer shares this teacher or class with us (HTTP 404)."),
        (
            "CleverBadRequest: HTTP 400 Bad Request",
            "Clever refused our request (HTTP 400): likely a fault on our side, worth telling the developers.",
        ),
        (
            "CleverBadResponse: HTTP 200 an HTML page instead of JSON",
            "Clever sent a reply we could not read; it usually passes, so the next sync may work.",
        ),
        (
            "NeedsFreshLogin: no district token and no working teacher token; the teacher must log in again.",
            "Nothing can reach Clever for this teacher: no district token, and their own token no longer works. "
            "They log in with Clever again, or staff import the district's token.",
        ),
        (
            "WorkerLost: the worker running attempt 2 stopped (no heartbeat since 2026-09-01 10:00:00+00:00)",
            "The background worker running this sync stopped before it finished (restarted or killed).",
        ),
        (
            "Interrupted: the process running this sync stopped before it finished.",
            "The process running this sync stopped before it finished; the classes are as they were before it.",
        ),
        (
            "IntegrityError: UNIQUE constraint failed: rosters_section.clever_id",
            "Something unexpected went wrong on our side (IntegrityError): the technical detail says what.",
        ),
        # Already plain: it names no kind of failure.
        ("Another sync of this teacher was running.", "Another sync of this teacher was running."),
        ("", ""),
    ],
)
def test_each_kind_of_failure_in_plain_words(error, plain):
    assert failure_explain(error) == plain
