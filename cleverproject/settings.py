"""
Settings, read from the environment (and from `.env` when present).

Every variable is documented in `.env.example` and in docs/configuration.md. Development
defaults apply only when DJANGO_DEBUG is on; a production configuration must
set its secrets explicitly.
"""

from pathlib import Path

import environ
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

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "django_tasks_db",
    "audit",
    "accounts",
    "rosters",
    "onboarding",
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

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

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
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    # The proxy terminates TLS and says so in X-Forwarded-Proto; only trust it behind one.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- django-allauth -------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
SOCIALACCOUNT_STORE_TOKENS = False  # tokens we keep are encrypted by rosters (see rosters.fields)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # email is never trusted for linking
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
ACCOUNT_USER_DISPLAY = str  # the name (or email) in messages, never "clever-<id>"
SOCIALACCOUNT_AUTO_SIGNUP = False  # a new Clever id is asked "Do you already have an account here?"
# Failed password checks (sign-in page and Clever merge alike): 10 a minute per IP, 5 per 5 minutes per email.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# How long a new Clever identity waits for "Do you already have an account here?" (seconds).
CLEVER_PENDING_LOGIN_MAX_AGE = env.int("CLEVER_PENDING_LOGIN_MAX_AGE", default=15 * 60)
# The free trial a Clever Library teacher gets on their first login (days).
LIBRARY_TRIAL_DAYS = env.int("LIBRARY_TRIAL_DAYS", default=30)
if DEBUG:
    # Password-reset emails go to the console in development.
    EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

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
