"""
One simulated teacher of the load check: a browser of its own (a `requests.Session` with its own
cookie jar, real HTTP only) that logs in with Clever step by step, timing each step, and says
which step failed and why. The whole run is described in docs/benchmarks.md.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urljoin, urlsplit

import requests

CALLBACK_PATH = "/accounts/clever/login/callback/"
WELCOME_PATH = "/accounts/clever/welcome/"
CREATE_PATH = "/accounts/clever/welcome/create/"
ONBOARDING_PATH = "/onboarding/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)

# The steps of a login in order, and what each one is (for the report).
STEPS = {
    "home": "GET / (product)",
    "start": "POST /accounts/clever/login/ (product)",
    "sign-in page": "GET /oauth/authorize (sandbox)",
    "choose": "POST /oauth/authorize (sandbox)",
    "callback": "GET callback: code exchange, /me, teacher (+ sync when known)",
    "welcome": "GET /accounts/clever/welcome/ (product)",
    "create": "POST /accounts/clever/welcome/create/: account + roster sync",
    "landing": "GET / -> /onboarding/ (product)",
}


class LoginFailed(Exception):
    def __init__(self, step: str, problem: str):
        self.step = step
        self.problem = problem
        super().__init__(f"{step}: {problem}")


@dataclass
class LoginResult:
    teacher_id: str
    phase: str
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    error: LoginFailed | None = None
    resent: int = 0


class Browser:
    """One teacher's browser: its own cookie jar, redirects followed by hand and timed per step."""

    def __init__(self, *, timeout: float):
        self.session = requests.Session()
        self.session.trust_env = False
        self.timeout = timeout
        self.steps: dict[str, float] = {}
        self.resent = 0  # requests sent again after a closed keep-alive connection

    def request(self, step: str, method: str, url: str, *, expect: int, **kwargs) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self._send(method, url, **kwargs)
        except requests.RequestException as exc:
            raise LoginFailed(step, f"{method} {urlsplit(url).path}: {_reason(exc)}") from None
        finally:
            self.steps[step] = self.steps.get(step, 0.0) + time.perf_counter() - started
        if response.status_code != expect:
            raise LoginFailed(step, f"{method} {urlsplit(url).path} answered {response.status_code}{_title(response)}")
        return response

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)
        except requests.ConnectionError as exc:
            # The server closed an idle keep-alive connection (gunicorn after 2 s) just as we reused it,
            # so the request never reached it: we see its FIN ("Remote end closed ...") or, when our
            # request was already on the wire, its RST. A browser sends it again on a new connection;
            # so do we, and the report counts it.
            if not any(
                sign in str(exc) for sign in ("Remote end closed connection without response", "reset by peer")
            ):
                raise
            self.resent += 1
            self.session.close()
            return self.session.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)

    def submit(self, step: str, url: str, *, form: requests.Response, form_step: str) -> requests.Response:
        """POST the form of the page `form` (from step `form_step`) to `url` with its CSRF token; expect a redirect."""
        return self.request(step, "POST", url, data={"csrfmiddlewaretoken": _csrf_token(form_step, form)}, expect=302)

    def location(self, step: str, response: requests.Response) -> str:
        if "Location" not in response.headers:
            raise LoginFailed(step, "a redirect without a Location")
        return urljoin(response.url, response.headers["Location"])

    def close(self) -> None:
        self.session.close()


def _reason(exc: requests.RequestException) -> str:
    """Return the exception's kind and text, without query strings (a callback URL carries its code)."""
    return re.sub(r"\?[^\s'\"]*", "?...", f"{type(exc).__name__}: {exc}")[:200]


def _title(response: requests.Response) -> str:
    match = TITLE.search(response.text or "") if "html" in response.headers.get("Content-Type", "") else None
    return f' ("{unescape(match[1].strip())[:80]}")' if match else ""


def _csrf_token(step: str, response: requests.Response) -> str:
    match = CSRF_INPUT.search(response.text)
    if not match:
        raise LoginFailed(step, "the page has no CSRF token")
    return match[1]


def clever_login(
    *, app: str, sandbox: str, teacher_id: str, school_name: str, returning: bool, timeout: float
) -> LoginResult:
    """Log in with Clever as a browser does; a new teacher answers "No, I am new here"."""
    result = LoginResult(teacher_id=teacher_id, phase="returning" if returning else "first")
    browser = Browser(timeout=timeout)
    started = time.perf_counter()
    try:
        home = browser.request("home", "GET", f"{app}/", expect=200)
        start = browser.submit("start", f"{app}/accounts/clever/login/", form=home, form_step="home")
        authorize_url = browser.location("start", start)
        if not authorize_url.startswith(f"{sandbox}/oauth/authorize?"):
            raise LoginFailed("start", f"redirected to {urlsplit(authorize_url).path}, not Clever's sign-in page")
        page = browser.request("sign-in page", "GET", authorize_url, expect=200)
        if teacher_id not in page.text:
            raise LoginFailed("sign-in page", "the teacher is not listed")
        chosen = browser.request("choose", "POST", authorize_url, data={"user_id": teacher_id}, expect=302)
        callback_url = browser.location("choose", chosen)
        if not callback_url.startswith(f"{app}{CALLBACK_PATH}?"):
            raise LoginFailed("choose", f"Clever redirected to {urlsplit(callback_url).path}")
        callback = browser.request("callback", "GET", callback_url, expect=302)
        after = browser.location("callback", callback)
        if returning and urlsplit(after).path == WELCOME_PATH:
            raise LoginFailed("callback", "a returning teacher was asked to create an account again")
        if not returning:
            after = _create_account(browser, app=app, welcome_url=after)
        landing = _follow(browser, after)
        if urlsplit(landing.url).path != ONBOARDING_PATH or f'action="{ONBOARDING_PATH}"' not in landing.text:
            raise LoginFailed("landing", f"ended on {urlsplit(landing.url).path}, not the onboarding questionnaire")
        if f'value="{school_name}"' not in landing.text:
            raise LoginFailed("landing", "the questionnaire has no school prefilled: the roster did not arrive")
    except LoginFailed as exc:
        result.error = exc
    finally:
        result.seconds = time.perf_counter() - started
        result.steps = browser.steps
        result.resent = browser.resent
        browser.close()
    return result


def _create_account(browser: Browser, *, app: str, welcome_url: str) -> str:
    """On "Do you already have an account here?", answer "No, I am new here"; return where that leads."""
    if urlsplit(welcome_url).path != WELCOME_PATH:
        raise LoginFailed("callback", f"a new teacher went to {urlsplit(welcome_url).path}, not the welcome page")
    welcome = browser.request("welcome", "GET", welcome_url, expect=200)
    if f'action="{CREATE_PATH}"' not in welcome.text:
        raise LoginFailed("welcome", "no 'No, I am new here' form on the welcome page")
    created = browser.submit("create", f"{app}{CREATE_PATH}", form=welcome, form_step="welcome")
    return browser.location("create", created)


def _follow(browser: Browser, url: str, hops: int = 4) -> requests.Response:
    """GET `url` and the product's redirects after it (home -> the onboarding gate -> the questionnaire)."""
    for _ in range(hops):
        response = browser.request("landing", "GET", url, expect=200 if _is_final(url) else 302)
        if response.status_code == 200:
            return response
        url = browser.location("landing", response)
    raise LoginFailed("landing", "too many redirects")


def _is_final(url: str) -> bool:
    return urlsplit(url).path == ONBOARDING_PATH
