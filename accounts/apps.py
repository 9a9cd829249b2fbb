from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    # Not "Accounts": that is allauth's account app (email addresses), and the admin would
    # show two sections with the same name.
    verbose_name = _("Users and plans")

    def ready(self):
        from . import (
            checks,  # noqa: F401 - registers the deploy checks
            signals,  # noqa: F401 - connects the receiver that releases a deleted user's data
        )
