"""gunicorn serving docs/deploying.md's production configuration, reached as browsers behind the TLS proxy reach it.

One server for the module: 3 worker processes, the suite's Redis database as the shared
cache, a mail server that refuses connections. Every request opens a new connection, so
gunicorn spreads them over its workers.
"""

import re

import pytest

from .production import REDIS_URL, ProxiedBrowser, directives, gunicorn, manage, production_env, redis_flush

LOGIN = "/accounts/login/"
WRONG = "The email address or password is not correct."
LOCKED = "Too many failed login attempts. Try again later."
PASSWORD = "a staff password nobody guesses"
CSP = {"default-src": "'self'", "base-uri": "'self'", "object-src": "'none'", "frame-ancestors": "'none'"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    redis_flush()
    env = production_env(tmp_path)
    assert (env["CACHE_URL"], env["WEB_CONCURRENCY"]) == (REDIS_URL, "3")
    for command in (["collectstatic", "--noinput"], ["check", "--deploy", "--fail-level", "WARNING"]):
        result = manage(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    with gunicorn(env, tmp_path) as running:
        created = manage(
            "shell",
            "-c",
            "from accounts.services import demo_account_ensure as ensure; "
            f"ensure(email='staff@example.org', password={PASSWORD!r}, staff=True)",
            env=env,
        )
        assert created.returncode == 0, created.stderr
        yield running
    redis_flush()


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The failed-password counters live in Redis: every test starts without any."""
    redis_flush()


def visitor(server, ip="203.0.113.7"):
    return ProxiedBrowser(server.url, client_ip=ip)


def sign_in(browser, email, password):
    return browser.post(LOGIN, {"login": email, "password": password})


def answer(response) -> str:
    """What the sign-in page says about the password: wrong, locked, or (a redirect) signed in."""
    if response.status_code == 302:
        return "signed in"
    text = response.text
    return "locked" if LOCKED in text else "wrong" if WRONG in text else f"HTTP {response.status_code}"


def test_the_home_page_is_served_over_https_with_the_security_headers(server):
    page = visitor(server).get("/")

    assert page.status_code == 200
    assert "Log in with Clever" in page.text
    assert directives(page.headers["Content-Security-Policy"]) == CSP
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page.headers["X-Frame-Options"] == "DENY"
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page.text)
    assert stylesheet, "the stylesheet is not the hashed, collected file"
    assert visitor(server).get(stylesheet[1]).status_code == 200


def test_plain_http_is_redirected_to_https(server):
    response = visitor(server).request("GET", "/", headers={"X-Forwarded-Proto": "http"})

    assert response.status_code == 301
    assert response.headers["Location"] == "https://classroom.example.org/"


def test_the_sandbox_is_not_served(server):
    assert visitor(server).get("/sandbox/clever/").status_code == 404


def test_one_visitors_wrong_passwords_do_not_lock_out_another_behind_the_same_proxy(server):
    mallory, teacher = visitor(server, "198.51.100.66"), visitor(server, "203.0.113.7")

    # Ten wrong passwords a minute from one address (each for another email) lock that address.
    answers = [answer(sign_in(mallory, f"guess{n}@example.org", "guess")) for n in range(11)]
    assert answers == ["wrong"] * 10 + ["locked"]

    # Another visitor comes through the same proxy (the same REMOTE_ADDR): not locked out.
    assert answer(sign_in(teacher, "staff@example.org", PASSWORD)) == "signed in"


def test_failed_passwords_for_one_email_are_counted_across_all_workers(server):
    # Eight tries at one account from eight addresses, each on a new connection to any worker:
    # exactly five are checked (5 per 5 minutes per email), whichever process answers.
    answers = [answer(sign_in(visitor(server, f"192.0.2.{n}"), "staff@example.org", "guess")) for n in range(8)]

    assert answers == ["wrong"] * 5 + ["locked"] * 3
    assert answer(sign_in(visitor(server, "192.0.2.200"), "staff@example.org", PASSWORD)) == "locked"


def test_the_admin_signs_in_on_the_site_sign_in_page(server):
    browser = visitor(server)

    to_sign_in = browser.get("/admin/")
    assert to_sign_in.status_code == 302
    login_page = browser.follow(browser.follow(to_sign_in))
    assert login_page.url.endswith("/accounts/login/?next=%2Fadmin%2F")
    assert 'name="login"' in login_page.text
    signed_in = browser.post("/accounts/login/?next=/admin/", {"login": "staff@example.org", "password": PASSWORD})
    assert signed_in.headers["Location"] == "/admin/"
    assert "Classroom administration" in browser.get("/admin/").text


def test_a_password_reset_when_the_mail_server_is_down_says_so(server):
    for email in ("staff@example.org", "nobody@example.org"):
        page = visitor(server).post("/accounts/password/reset/", {"email": email})

        assert page.status_code == 503
        assert "We could not send the email" in page.text
        assert "Our mail server did not answer, so no email went out." in page.text
