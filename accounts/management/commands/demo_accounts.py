from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services

# Published in docs/signing-in.md: for local demos only, which is why the command refuses without DEBUG.
# The teacher shares her email with the sandbox demo data's Clever Library teacher Priya Raman
# (sandbox.demo.PRIYA_RAMAN), so logging in with Clever as her offers the merge.
DEMO_ACCOUNTS = [
    {
        "email": "priya.raman@example.com",
        "password": "demo-teacher-password",
        "first_name": "Priya",
        "last_name": "Raman",
        "staff": False,
    },
    {
        "email": "admin@example.org",
        "password": "demo-admin-password",
        "first_name": "Demo",
        "last_name": "Admin",
        "staff": True,
    },
]


class Command(BaseCommand):
    help = (
        "Create the demo accounts that `make run` documents: a local teacher to merge a Clever "
        "Library login into, and a staff admin. Idempotent (resets their passwords); DEBUG only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_accounts creates accounts with published passwords: it runs only with DEBUG on.")
        for spec in DEMO_ACCOUNTS:
            user, created = services.demo_account_ensure(**spec)
            verb = "Created" if created else "Kept"
            role = "staff admin" if user.is_staff else "local teacher"
            self.stdout.write(self.style.SUCCESS(f"{verb} {role} {user.email} (password: {spec['password']})"))
