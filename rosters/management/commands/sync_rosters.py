from django.core.management.base import BaseCommand, CommandError

from rosters import clever, jobs, services
from rosters.models import SyncJob, SyncRun, Teacher


class Command(BaseCommand):
    help = (
        "Re-sync teachers' rosters from Clever. Each teacher is synced with their district's token "
        "(entered in the admin) or their last Clever login. A failure is reported and the rest carry on; "
        "the exit status is non-zero when any teacher failed. With --enqueue, queue one background job per "
        "teacher for the task workers (manage.py db_worker) instead."
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
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue one background sync job per teacher (run by manage.py db_worker) instead of syncing here.",
        )
        parser.add_argument(
            "--requeue-stale",
            action="store_true",
            help="Run again the background jobs whose worker died (running, with no heartbeat for "
            "ROSTER_JOB_STALE_AFTER seconds), mark failed the sync runs a dead process left running "
            "(for ROSTER_SYNC_RUN_STALE_AFTER seconds), then exit. Safe to run from cron.",
        )

    def handle(self, *args, **options):
        if options["requeue_stale"]:
            return self._requeue_stale(options)
        if options["enqueue"] and options["dry_run"]:
            raise CommandError("--dry-run reports here and now; it cannot be combined with --enqueue.")
        teachers = self._teachers(options)
        total = len(teachers)
        if not total:
            self.stdout.write("No teachers to sync.")
            return
        if options["enqueue"]:
            return self._enqueue(teachers)
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

    def _enqueue(self, teachers: list[Teacher]) -> None:
        queued = jobs.sync_jobs_enqueue(teachers=teachers, trigger=SyncRun.Trigger.COMMAND)
        count = len(queued)
        self.stdout.write(self.style.SUCCESS(f"Enqueued {count} sync job{'s' if count != 1 else ''}."))
        if jobs.sync_jobs_run_inline():
            # The immediate backend ran each job inside enqueue(): say how they ended.
            statuses = list(SyncJob.objects.filter(pk__in=[job.pk for job in queued]).values_list("status", flat=True))
            failed = statuses.count(SyncJob.Status.FAILED)
            summary = (
                f"Ran them here (immediate task backend): succeeded {statuses.count(SyncJob.Status.SUCCEEDED)}, "
                f"failed {failed}, skipped {statuses.count(SyncJob.Status.SKIPPED)}."
            )
            if failed:
                raise CommandError(summary)
            self.stdout.write(summary)

    def _requeue_stale(self, options) -> None:
        if options["teacher"] or options["district"] or options["all"] or options["enqueue"] or options["dry_run"]:
            raise CommandError("--requeue-stale takes no other option.")
        recovered = jobs.sync_jobs_recover()
        count = len(recovered)
        self.stdout.write(
            f"Found {count} job{'s' if count != 1 else ''} whose worker stopped; "
            "queued again (or failed, after their last attempt)."
        )
        interrupted = services.sync_runs_close_stale()
        self.stdout.write(
            f"Marked {interrupted} sync run{'s' if interrupted != 1 else ''} interrupted "
            "(left running by a process that stopped)."
        )

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
