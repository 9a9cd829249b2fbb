"""The Clever provider for django-allauth (provider id `clever`).

Unlike allauth's bundled Clever provider (API v3.0, which throws /me away), this one
reads `/v2.1/me` for the id, the user type and `authorized_by`, and the teacher record
from `/v2.0/teachers/{id}` for name and email, all through `rosters.clever`.
"""

from __future__ import annotations

from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from .profile import CleverProfile
from .views import CleverOAuth2Adapter


class CleverAccount(ProviderAccount):
    def to_str(self):
        profile = CleverProfile.from_dict(self.account.extra_data)
        return profile.full_name or profile.clever_id


class CleverProvider(OAuth2Provider):
    id = "clever"
    name = "Clever"
    account_class = CleverAccount
    oauth2_adapter_class = CleverOAuth2Adapter

    def get_default_scope(self):
        # Clever takes its scopes from the app's dashboard settings, not from the request.
        return []

    def extract_uid(self, data):
        return data["clever_id"]

    def extract_extra_data(self, data):
        return data

    def extract_common_fields(self, data):
        return {key: data.get(key, "") for key in ("first_name", "last_name", "email")}
