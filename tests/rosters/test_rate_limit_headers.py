"""How long a 429 asks us to wait, read from literal headers and a fixed clock.

The sandbox sends Retry-After only as whole seconds, so the dates and the malformed
values Clever (or a proxy in front of it) could send are checked here at the parser.
"""

import threading

import pytest

from rosters import clever
from sandbox import demo

# Wed, 21 Oct 2015 07:28:00 GMT, as Unix seconds.
OCT_21_2015_0728_UTC = 1445412480.0


def wait(now=OCT_21_2015_0728_UTC, **headers):
    return clever.rate_limit_wait({name.replace("_", "-"): value for name, value in headers.items()}, now=now)


def test_retry_after_in_seconds():
    assert wait(Retry_After="120") == 120.0


def test_retry_after_as_an_http_date_is_measured_from_the_clock():
    assert wait(OCT_21_2015_0728_UTC - 30, Retry_After="Wed, 21 Oct 2015 07:28:00 GMT") == 30.0


def test_an_http_date_with_no_zone_of_its_own_is_read_as_utc():
    assert wait(OCT_21_2015_0728_UTC - 30, Retry_After="Wed, 21 Oct 2015 07:28:00 -0000") == 30.0


def test_an_http_date_already_past_means_no_wait():
    assert wait(OCT_21_2015_0728_UTC + 5, Retry_After="Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_x_ratelimit_reset_is_unix_seconds():
    assert wait(X_RateLimit_Reset="1445412487") == 7.0


def test_retry_after_comes_before_x_ratelimit_reset():
    assert wait(Retry_After="2", X_RateLimit_Reset="1445412487") == 2.0


@pytest.mark.parametrize(
    "retry_after",
    ["soon", "", "  ", "-5", "inf", "nan", "1e400", "Wed, 32 Oct 2015 07:28:00 GMT", "Mon, 1 Jan 99999 00:00:00 GMT"],
)
def test_a_retry_after_that_cannot_be_read_counts_as_absent(retry_after):
    assert wait(Retry_After=retry_after) is None
    assert wait(Retry_After=retry_after, X_RateLimit_Reset="1445412487") == 7.0


@pytest.mark.parametrize("reset", ["soon", "-1", "inf", "nan", ""])
def test_an_x_ratelimit_reset_that_cannot_be_read_counts_as_absent(reset):
    assert wait(X_RateLimit_Reset=reset) is None


def test_a_reset_further_away_than_an_hour_is_read_as_an_hour():
    assert wait(X_RateLimit_Reset="99999999999") == 3600.0
    assert wait(Retry_After="86400") == 3600.0


def test_one_client_shared_by_threads_counts_every_request_once(clever_sandbox):
    with clever.CleverClient(token=clever_sandbox.state.user_token(demo.ZOE_OBRIEN)) as client:
        answers, errors = [], []

        def read():
            try:
                for _ in range(5):
                    answers.append(client.teacher(demo.ZOE_OBRIEN).id)
            except Exception as exc:  # pragma: no cover - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert answers == [demo.ZOE_OBRIEN] * 40
        assert client.calls == 40
    assert clever_sandbox.state.count_calls("/v2.0/teachers/*") == 40
