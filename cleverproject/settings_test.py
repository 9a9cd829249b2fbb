"""Settings for the test suite: the settings file with the sandbox forced on.

settings.py is loaded as a development configuration (DJANGO_DEBUG on, whatever `.env` or
the environment say), so that its refusals of unsafe production configurations (the
sandbox, a per-process cache, ...) stay out of the way; pytest-django then runs every test
with DEBUG off (`make bench`, which uses these settings too, keeps it on), and what tests
need is set below. Production configurations are tested
in processes of their own (tests/test_deploy.py).
"""

import os

os.environ["DJANGO_DEBUG"] = "true"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from .settings import *  # noqa: F403
from .settings import SOCIALACCOUNT_PROVIDERS

CLEVER_SANDBOX = True
CLEVER_CLIENT_ID = "sandbox-client-id"
CLEVER_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - sandbox only
SOCIALACCOUNT_PROVIDERS["clever"]["APPS"] = [{"client_id": CLEVER_CLIENT_ID, "secret": CLEVER_CLIENT_SECRET}]
# The test fixtures point both bases at a sandbox served on a free port.
CLEVER_RETRY_MAX_WAIT = 5.0
CLEVER_HTTP_TIMEOUT = 5.0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A test that forgets the `clever_sandbox` fixture fails fast instead of reaching a real host.
CLEVER_OAUTH_BASE = "http://clever.invalid"
CLEVER_API_BASE = "http://clever.invalid"

# Tests speak plain HTTP to the test client and the sandbox thread, without collectstatic.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
