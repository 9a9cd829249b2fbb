"""A model field that keeps Clever bearer tokens encrypted at rest."""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)


def _fernet_for(secret: str) -> Fernet:
    digest = hashlib.sha256(b"rosters.EncryptedTextField:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    # The first key encrypts; fallbacks still decrypt, so SECRET_KEY can be rotated
    # with DJANGO_SECRET_KEY_FALLBACKS like Django's own signing.
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


class EncryptedTextField(models.TextField):
    """Text encrypted with a key derived from SECRET_KEY; blank stays blank.

    A value that can no longer be decrypted (the key changed with no fallback)
    reads as blank: for a token that means "ask for a fresh login".
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return _cipher().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return _cipher().decrypt(value.encode()).decode()
        except InvalidToken:
            logger.warning("An encrypted %s could not be decrypted; treating it as blank.", self.name)
            return ""
