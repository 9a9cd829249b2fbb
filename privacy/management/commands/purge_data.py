"""`manage.py purge_data`: delete what the data policy says has expired; a dry run unless --apply."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import capfirst

from privacy.services import data_purge


class Command(BaseCommand):
    help = (
        "Delete the data past its retention window (docs/privacy.md): without --apply, print per kind "
        "how many rows would go and why, and change nothing. Quiet from cron unless something was deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="Delete the rows (without it: a dry run that changes nothing)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Rows deleted per transaction (default 1000); smaller holds locks for less time.",
        )

    def handle(self, *args, apply: bool, batch_size: int, verbosity: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = data_purge(apply=apply, now=timezone.now(), batch_size=batch_size)
        # From cron (--apply, default verbosity) it prints only when something was deleted.
        if verbosity == 0 or (apply and verbosity == 1 and not report.total):
            return
        for kind in report.kinds:
            if apply and verbosity == 1 and not kind.total:
                continue
            counts = ", ".join(f"{count} {table}" for table, count in kind.rows.items()) or "nothing to do"
            self.stdout.write(f"{capfirst(kind.reason)}: {counts}")
        if apply:
            self.stdout.write(self.style.SUCCESS(f"Deleted {report.total} rows in all."))
        else:
            self.stdout.write(
                self.style.WARNING(f"Dry run: nothing was deleted. With --apply, {report.total} rows would be.")
            )
