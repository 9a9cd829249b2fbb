from django.core.management.base import BaseCommand, CommandError

from rosters import clever, services
from rosters.models import SyncRun, Teacher


class Command(BaseCommand):
    help = (
        "Re-sync teachers' rosters from Clever. Each teacher is synced with their district's token "
        "(entered in the admin) or their last Clever login. A failure is reported and the rest carry on; "
        "the exit status is non-zero when any teacher failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--teacher",
            action="append",
            default=[],
            metavar="CLEVER_ID",
            help="Sync the teacher with this Clever ID (repeat for several).",
        )
        parser.add_argument("--district", metavar="ID", help="Sync every teacher of this Clever district.")
        parser.add_argument("--all", action="store_true", help="Sync every teacher.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch from Clever and report what would change, writing nothing.",
        )

    def handle(self, *args, **options):
        teachers = self._teachers(options)
        total = len(teachers)
        if not total:
            self.stdout.write("No teachers to sync.")
            return
        verb = "Checking" if options["dry_run"] else "Syncing"
        self.stdout.write(f"{verb} {total} teacher{'s' if total != 1 else ''} from Clever…")
        ok, failed, need_login = 0, 0, 0
        for number, teacher in enumerate(teachers, start=1):
            prefix = f"[{number}/{total}] {teacher} ({teacher.clever_id})"
            try:
                result = self._sync_one(teacher, dry_run=options["dry_run"])
            except services.NeedsFreshLogin:
                need_login += 1
                self.stdout.write(self.style.WARNING(f"{prefix}: skipped, needs a fresh Clever login"))
                continue
            except clever.CleverError as exc:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{prefix}: failed: {exc.describe()}"))
                continue
            if isinstance(result, SyncRun) and result.outcome != SyncRun.Outcome.SUCCESS:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{prefix}: failed: {result.error}"))
                continue
            ok += 1
            self.stdout.write(f"{prefix}: {self._describe(result, dry_run=options['dry_run'])}")

        summary = (
            f"{'Checked' if options['dry_run'] else 'Synced'} {ok}, failed {failed}, "
            f"skipped {need_login} (need a fresh Clever login or a district token)."
        )
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _teachers(self, options) -> list[Teacher]:
        chosen = [bool(options["teacher"]), bool(options["district"]), options["all"]]
        if sum(chosen) != 1:
            raise CommandError("Choose exactly one of --teacher, --district or --all.")
        teachers = Teacher.objects.order_by("district_id", "last_name", "first_name", "pk")
        if options["teacher"]:
            teachers = teachers.filter(clever_id__in=options["teacher"])
            missing = set(options["teacher"]) - {t.clever_id for t in teachers}
            if missing:
                raise CommandError(f"No teacher with Clever ID {', '.join(sorted(missing))}.")
        elif options["district"]:
            teachers = teachers.filter(district_id=options["district"])
        return list(teachers)

    def _sync_one(self, teacher, *, dry_run):
        if dry_run:
            credentials = services.teacher_sync_credentials(teacher=teacher)
            return services.roster_preview(teacher=teacher, credentials=credentials)
        return services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.COMMAND)

    @staticmethod
    def _describe(result, *, dry_run) -> str:
        counts = (
            f"{result.created} created, {result.updated} updated, {result.removed} removed, {result.restored} restored"
        )
        if dry_run:
            return f"would change: {counts}" if result.total else "already up to date"
        return f"ok: {counts} ({result.http_calls} HTTP calls)"
