"""
Settings, read from the environment (and from `.env` when present).

Every variable is documented in `.env.example` and in docs/configuration.md. Development
defaults apply only when DJANGO_DEBUG is on; a production configuration must
set its secrets explicitly.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the process environment win over the file.
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (it has no default when DJANGO_DEBUG is off).")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - dev only, guarded above
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [],
)

# The product's name as staff and teachers read it (the admin's header and window title).
SITE_NAME = env("SITE_NAME", default="Classroom")

INSTALLED_APPS = [
    "cleverproject.apps.AdminConfig",  # django.contrib.admin with the product's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_countries",
    "django_tasks",
    "cleverproject.apps.BackgroundTasksConfig",  # django_tasks_db, named for what it is
    "audit",
    "accounts",
    "rosters",
    "onboarding",
    "privacy",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: sends teachers who have not finished onboarding to /onboarding/.
    "onboarding.middleware.OnboardingGateMiddleware",
]

ROOT_URLCONF = "cleverproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cleverproject.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "cleverproject.wsgi.application"

# Database: SQLite is the embedded default; PostgreSQL in CI and production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Keep connections open between requests in production (checked before reuse).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "cleverproject.sqlite3"  # SQLite's real parameter limit
    # Writers take the lock when their transaction begins and wait for it, instead of
    # failing with "database is locked" when two syncs overlap.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url_config(env("CACHE_URL", default="") or "locmemcache://")}
# Failed-password limits (sign-in, merge, admin) live in the cache: with several web processes
# a per-process cache gives each its own count, so production must share one.
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
if not DEBUG and CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
    raise ImproperlyConfigured(
        "Set CACHE_URL to a cache every web process shares, e.g. redis://host:6379/1 "
        "(with DJANGO_DEBUG off, a per-process cache would let each process count failed passwords on its own)."
    )

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files through WhiteNoise (run collectstatic first).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development WhiteNoise reads files as they change, straight from the apps (no collectstatic).
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG

# --- HTTPS and cookies: strict unless debug is on ---------------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Shared classroom computers: a session ends when the browser closes, and after a school
# day at the latest (seconds; counted from sign-in).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
BEHIND_TLS_PROXY = env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    # The proxy terminates TLS and says so in X-Forwarded-Proto; only trust it behind one.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of us append to X-Forwarded-For: rate limits (and the audit
# trail) key on the address the outermost of them saw, not on the proxy's own address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every page: scripts, styles, images, fonts and
# connections from this site only; no inline scripts or styles anywhere (the admin included).
# No form-action: "Log in with Clever" posts here and is redirected on to Clever.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- django-allauth -------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Teachers arrive through Clever; local accounts (to merge Clever into) are made by staff.
# Public sign-up would only tell strangers which emails have accounts here.
ACCOUNT_SIGNUP_ENABLED = False
# Password resets answer alike whether or not the email has an account.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False  # no "Remember me": sessions follow SESSION_EXPIRE_AT_BROWSER_CLOSE
SOCIALACCOUNT_STORE_TOKENS = False  # tokens we keep are encrypted by rosters (see rosters.fields)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # email is never trusted for linking
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
ACCOUNT_USER_DISPLAY = str  # the name (or email) in messages, never "clever-<id>"
SOCIALACCOUNT_AUTO_SIGNUP = False  # a new Clever id is asked "Do you already have an account here?"
# Failed password checks (sign-in page and Clever merge alike): 10 a minute per IP, 5 per 5 minutes per email.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# How long a new Clever identity waits for "Do you already have an account here?" (seconds):
# short, so a page left open on a shared computer cannot be completed by the next person.
CLEVER_PENDING_LOGIN_MAX_AGE = env.int("CLEVER_PENDING_LOGIN_MAX_AGE", default=5 * 60)
# The free trial a Clever Library teacher gets on their first login (days).
LIBRARY_TRIAL_DAYS = env.int("LIBRARY_TRIAL_DAYS", default=30)

# --- Email: password resets ----------------------------------------------------
# EMAIL_URL in every mode (smtp+tls://user:password@host:587, consolemail://, ...). Without it,
# emails go to the console while debug is on; with debug off `check --deploy` fails
# (accounts.E001): password resets could not be sent.
EMAIL_CONFIGURED = bool(env("EMAIL_URL", default=""))
email = env.email_url_config(env("EMAIL_URL", default="") or ("consolemail://" if DEBUG else "smtp://localhost:25"))
# The older way to choose the development backend, still honoured while debug is on.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default=email["EMAIL_BACKEND"]) if DEBUG else email["EMAIL_BACKEND"]
EMAIL_HOST = email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10  # seconds: a mail server that hangs must not hang the page
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
del email

# The onboarding's country list starts with the countries most teachers here pick (Clever serves
# US districts), then a break, then every country by name.
COUNTRIES_FIRST = ["US", "CA", "GB"]
COUNTRIES_FIRST_BREAK = "──────────"

# --- Clever -----------------------------------------------------------------
CLEVER_CLIENT_ID = env("CLEVER_CLIENT_ID", default="")
CLEVER_CLIENT_SECRET = env("CLEVER_CLIENT_SECRET", default="")
CLEVER_SANDBOX = env.bool("CLEVER_SANDBOX", default=DEBUG and not CLEVER_CLIENT_ID)
# Where the sandbox is reached from this server; only used when CLEVER_SANDBOX is on.
CLEVER_SANDBOX_URL = env("CLEVER_SANDBOX_URL", default="http://127.0.0.1:8000/sandbox/clever")
CLEVER_SANDBOX_DATA = env("CLEVER_SANDBOX_DATA", default="")
# The sandbox app's registered redirect URIs, the first being the primary one (Portal launches).
# Empty: the product's callback path on a local host, the request's host, or an ALLOWED_HOSTS host.
CLEVER_SANDBOX_REDIRECT_URIS = env.list("CLEVER_SANDBOX_REDIRECT_URIS", default=[])
if CLEVER_SANDBOX:
    CLEVER_CLIENT_ID = CLEVER_CLIENT_ID or "sandbox-client-id"
    CLEVER_CLIENT_SECRET = CLEVER_CLIENT_SECRET or "sandbox-client-secret"
if not DEBUG and CLEVER_SANDBOX:
    # The sandbox hands out tokens to anyone and signs in as any teacher without a password.
    raise ImproperlyConfigured(
        "CLEVER_SANDBOX is on while DJANGO_DEBUG is off: the Clever sandbox never runs in production. "
        "Set CLEVER_SANDBOX=false and CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET from the Clever dashboard, "
        "or turn DJANGO_DEBUG on for development."
    )
if not DEBUG and not (CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "Set CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET from the Clever dashboard "
        "(the real Clever needs them when DJANGO_DEBUG is off)."
    )
# Where "Also sign out of Clever" sends a teacher. Empty: the sandbox's sign-out when the sandbox
# is on, else Clever's own (https://clever.com/logout); see docs/signing-in.md.
CLEVER_LOGOUT_URL = env("CLEVER_LOGOUT_URL", default="")
CLEVER_OAUTH_BASE = env(
    "CLEVER_OAUTH_BASE", default=CLEVER_SANDBOX_URL if CLEVER_SANDBOX else "https://clever.com"
).rstrip("/")
CLEVER_API_BASE = env(
    "CLEVER_API_BASE", default=CLEVER_SANDBOX_URL if CLEVER_SANDBOX else "https://api.clever.com"
).rstrip("/")
# Seconds to wait for Clever on one request, and the longest we honour a rate-limit wait.
CLEVER_HTTP_TIMEOUT = env.float("CLEVER_HTTP_TIMEOUT", default=10.0)
CLEVER_RETRY_MAX_WAIT = env.float("CLEVER_RETRY_MAX_WAIT", default=30.0)
# Records per page when a district-app token pages through a list (Clever allows up to 10000).
CLEVER_PAGE_SIZE = env.int("CLEVER_PAGE_SIZE", default=1000)
# How many sections' students one sync fetches at once.
CLEVER_SYNC_CONCURRENCY = env.int("CLEVER_SYNC_CONCURRENCY", default=8)
# Records per page when a district sync reads a whole district (Clever's maximum, 10000, by default:
# a 1,000-teacher district is then about 7 requests). docs/district-sync.md.
CLEVER_DISTRICT_PAGE_SIZE = env.int("CLEVER_DISTRICT_PAGE_SIZE", default=10000)
if not 1 <= CLEVER_DISTRICT_PAGE_SIZE <= 10000:
    raise ImproperlyConfigured("CLEVER_DISTRICT_PAGE_SIZE must be between 1 and 10000 (Clever's maximum).")
# A district teacher's login does not wait for a roster fetch when their district was synced
# this recently (minutes); 0: every login syncs inline as before.
ROSTER_DISTRICT_FRESH_MINUTES = env.int("ROSTER_DISTRICT_FRESH_MINUTES", default=60)

# --- Background jobs (fleet re-sync) ---------------------------------------
# Django's tasks API (the django-tasks backport). "immediate" runs each job inline, in the
# process that enqueues it (no worker: the default); "database" stores jobs in the database
# for `manage.py db_worker` processes on any number of hosts; or a backend's dotted path.
task_backend_aliases = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
DJANGO_TASKS_BACKEND = env("DJANGO_TASKS_BACKEND", default="immediate")
TASKS = {"default": {"BACKEND": task_backend_aliases.get(DJANGO_TASKS_BACKEND, DJANGO_TASKS_BACKEND)}}
# The login-time sync: "inline" (the teacher waits for it) or "background" (a job; My classes
# says "updating" until it is done).
ROSTER_LOGIN_SYNC = env("ROSTER_LOGIN_SYNC", default="inline")
if ROSTER_LOGIN_SYNC not in ("inline", "background"):
    raise ImproperlyConfigured("ROSTER_LOGIN_SYNC must be 'inline' or 'background'.")
# The request budget per Clever token that every job shares, across workers and hosts:
# requests per fixed window of that many seconds (Clever: 1200 a minute per bearer token).
CLEVER_RATE_LIMIT = env.int("CLEVER_RATE_LIMIT", default=1200)
CLEVER_RATE_LIMIT_WINDOW = env.int("CLEVER_RATE_LIMIT_WINDOW", default=60)
# A job that fails for a passing reason runs again up to this many attempts in all, after
# ROSTER_JOB_RETRY_DELAY seconds, doubling each time.
ROSTER_JOB_MAX_ATTEMPTS = env.int("ROSTER_JOB_MAX_ATTEMPTS", default=4)
ROSTER_JOB_RETRY_DELAY = env.float("ROSTER_JOB_RETRY_DELAY", default=60.0)
# A running job beats every ROSTER_JOB_HEARTBEAT seconds; one silent for ROSTER_JOB_STALE_AFTER
# seconds lost its worker and is run again.
ROSTER_JOB_HEARTBEAT = env.float("ROSTER_JOB_HEARTBEAT", default=30.0)
ROSTER_JOB_STALE_AFTER = env.float("ROSTER_JOB_STALE_AFTER", default=120.0)
# A SyncRun still "running" this long after it started was left by a process that died
# (seconds); the sweep that recovers stale jobs marks it failed ("interrupted").
ROSTER_SYNC_RUN_STALE_AFTER = env.float("ROSTER_SYNC_RUN_STALE_AFTER", default=15 * 60.0)
# "Sync now" at most once per this many seconds per teacher (each costs Clever 3 + one call
# per section); 0 turns the limit off.
ROSTER_SYNC_NOW_INTERVAL = env.int("ROSTER_SYNC_NOW_INTERVAL", default=60)
# With no workers (the immediate backend), the admin syncs at most this many teachers inline,
# within one request; more are refused with a pointer to `sync_rosters --enqueue`.
ROSTER_ADMIN_SYNC_INLINE_MAX = env.int("ROSTER_ADMIN_SYNC_INLINE_MAX", default=10)

# --- Data retention (docs/privacy.md): how many days each kind of data is kept ---
# `manage.py purge_data --apply` deletes what is older (run it daily from cron).


def retention_days(name: str, default: int) -> int:
    """Read a retention window: a whole number of days, at least 1, or the settings refuse to load."""
    try:
        days = env.int(name, default=default)
    except ValueError:
        days = 0
    if days < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of days, at least 1.")
    return days


# Students no class of ours has any more, counted from the sync that archived them.
DATA_RETENTION_ARCHIVED_STUDENTS_DAYS = retention_days("DATA_RETENTION_ARCHIVED_STUDENTS_DAYS", 90)
# A district that disconnected the app in Clever (its token refused), counted from that moment.
DATA_RETENTION_DISCONNECTED_DAYS = retention_days("DATA_RETENTION_DISCONNECTED_DAYS", 30)
# Records of background work: sync runs, sync jobs, task results and rate budgets.
DATA_RETENTION_SYNC_RUNS_DAYS = retention_days("DATA_RETENTION_SYNC_RUNS_DAYS", 30)
# The audit trail (audit.AuditEvent).
DATA_RETENTION_AUDIT_DAYS = retention_days("DATA_RETENTION_AUDIT_DAYS", 365)
# Where districts and teachers send privacy questions and deletion requests (shown on /privacy/).
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL", default="")

SOCIALACCOUNT_PROVIDERS = {
    "clever": {
        "APPS": [{"client_id": CLEVER_CLIENT_ID, "secret": CLEVER_CLIENT_SECRET}],
    },
}

# --- Logging: plain, and never with request headers or bodies -------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Blanks code=, state=, access_token=... values and Authorization headers in every record we
    # print, including the dev server's request lines (the Clever callback URL carries ?code=).
    "filters": {"redact_secrets": {"()": "cleverproject.logging.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # urllib3 logs full URLs at DEBUG; keep it quiet so nothing sensitive leaks.
        "urllib3": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
