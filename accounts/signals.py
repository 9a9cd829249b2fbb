"""
The one signal receiver of the product: an account deleted outside our services still takes
its data along.

The product deletes accounts through `accounts.services.user_delete` (the account page, the
admin, the purge). Django's other ways to delete a user (`user.delete()` or a queryset's
`delete()` in the shell, a script) call no service, and the delete signal is the one place
they all pass through. Without it, such a deletion would leave the classes only that teacher
taught, with their students, and the account's name in the admin's history. So this is a
deliberate exception to "no signals" (docs/architecture.md): it does the same release as
`user_delete` and records the deletion in the audit trail as the system's.
"""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from . import services
from .models import User


@receiver(pre_delete, sender=User, dispatch_uid="accounts.user_data_release")
def user_data_release(sender, instance, **kwargs):
    """Run inside Django's delete of a user, before the row goes (cascades are already listed)."""
    if getattr(instance, "_data_released", False):
        return  # deleted by services.user_delete, which did this already
    services.user_delete_unattended(user=instance)
