"""manage.py sync_rosters: re-sync rosters from Clever, a whole district or a teacher at a time.

What each option does and when to run it: docs/district-sync.md and docs/rosters.md.
"""

from django.core.management.base import BaseCommand, CommandError

from rosters import clever, districts, jobs, services
from rosters.models import DistrictToken, SyncJob, SyncRun, Teacher


class Command(BaseCommand):
    help = (
        "Re-sync rosters from Clever. --district syncs a whole district with its district-app token (full, or "
        "only what changed, from Clever's events); --all syncs every district with a token, then the teachers "
        "no district token covers (Library teachers) one by one, with their own last Clever login; --teacher "
        "syncs one teacher. A failure is reported and the rest carry on; the exit status is non-zero when any "
        "sync failed. With --enqueue, queue background jobs for the task workers (manage.py db_worker) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--teacher",
            action="append",
            default=[],
            metavar="CLEVER_ID",
            help="Sync the teacher with this Clever ID (repeat for several).",
        )
        parser.add_argument(
            "--district",
            metavar="ID",
            help="Sync this Clever district as a whole with its stored district-app token, full or from events "
            "as the district is set (admin > Districts).",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Sync every district with a token, then every teacher no district token covers.",
        )
        parser.add_argument(
            "--full", action="store_true", help="With --district or --all: a full sync, whatever the district's mode."
        )
        parser.add_argument(
            "--events",
            action="store_true",
            help="With --district or --all: only what changed, from Clever's events (falls back to a full sync "
            "when it must, and says so).",
        )
        parser.add_argument(
            "--import-tokens",
            action="store_true",
            help="First import every district-app token Clever lists for the app (as the admin's button does).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch from Clever and report what would change, writing nothing.",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue background sync jobs (one per district, one per teacher; run by manage.py db_worker) "
            "instead of syncing here.",
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
        if options["full"] and options["events"]:
            raise CommandError("Choose --full or --events, not both.")
        chosen = [bool(options["teacher"]), bool(options["district"]), options["all"]]
        if sum(chosen) > 1 or (not any(chosen) and not options["import_tokens"]):
            raise CommandError("Choose exactly one of --teacher, --district or --all.")
        if (options["full"] or options["events"]) and not (options["district"] or options["all"]):
            raise CommandError("--full and --events apply to district syncs: use them with --district or --all.")
        if options["import_tokens"]:
            self._import_tokens()
        mode = "full" if options["full"] else "events" if options["events"] else ""
        if options["district"]:
            return self._district(options["district"], mode=mode, options=options)
        if options["all"]:
            return self._all(mode=mode, options=options)
        if options["teacher"]:
            return self._teachers(self._teachers_by_id(options["teacher"]), options=options)

    # --- District tokens -------------------------------------------------------------------------

    def _import_tokens(self) -> None:
        try:
            imported = services.district_tokens_import(actor=districts.Actor(command="sync_rosters"))
        except clever.CleverError as exc:
            raise CommandError(f"Clever could not list the district tokens: {exc.describe()}") from None
        reconnected = f", {imported.reconnected} reconnected" if imported.reconnected else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported district tokens from Clever: {imported.created} added, {imported.updated} updated"
                f"{reconnected}."
            )
        )

    # --- Districts -----------------------------------------------------------------------------

    def _district(self, district_id: str, *, mode: str, options) -> None:
        district = DistrictToken.objects.filter(district_id=district_id).first()
        if district is None:
            raise CommandError(
                f"No district token for district {district_id}: import the tokens (--import-tokens) "
                "or enter one in the admin (Districts)."
            )
        if options["enqueue"]:
            if not district.is_connected:
                raise CommandError(str(services.DistrictDisconnected(district)))
            return self._enqueue(districts=[district], teachers=[], mode=mode)
        if not self._sync_district(district, mode=mode, dry_run=options["dry_run"]):
            raise CommandError(f"The sync of district {district} failed.")

    def _sync_district(self, district: DistrictToken, *, mode: str, dry_run: bool) -> bool | None:
        """Sync (or check) one district, printing how it went; return True, False (failed) or None (skipped)."""
        prefix = f"District {district} ({district.district_id})"
        try:
            if dry_run:
                fetched, counts, notes = services.district_preview(district=district, mode=mode)
                kind = "full sync" if fetched.full else "incremental sync"
                summary = (
                    f"would change: {self._counts(counts)}" if counts.total else "already up to date"
                ) + f" ({kind}, {fetched.records:,} records read, {fetched.http_calls} Clever calls)"
                self.stdout.write(f"{prefix}: {summary}")
                self._notes(notes)
                return True
            run = services.district_sync(district=district, trigger=SyncRun.Trigger.COMMAND, mode=mode)
        except services.DistrictDisconnected as exc:
            self.stdout.write(self.style.WARNING(f"{prefix}: skipped: {exc}"))
            return None
        except clever.CleverError as exc:  # a dry run's fetch
            self.stdout.write(self.style.ERROR(f"{prefix}: failed: {exc.describe()}"))
            return False
        if run.outcome != SyncRun.Outcome.SUCCESS:
            self.stdout.write(self.style.ERROR(f"{prefix}: failed: {run.error}"))
            self._notes(run.note.splitlines())
            return False
        kind = "full sync" if run.mode == SyncRun.Mode.FULL else "incremental sync (events)"
        self.stdout.write(
            f"{prefix}: {kind}: {run.records:,} records read, {self._counts(run)}, {run.http_calls} Clever calls"
        )
        self._notes(run.note.splitlines())
        return True

    def _notes(self, notes) -> None:
        for note in notes:
            self.stdout.write(f"    {note}")

    # --- Everything ------------------------------------------------------------------------------

    def _all(self, *, mode: str, options) -> None:
        all_districts = list(DistrictToken.objects.order_by("name", "district_id"))
        # Teachers whose district has a token are that district's sync's (or, disconnected, nobody's).
        teachers = list(
            Teacher.objects.exclude(district_id__in=[d.district_id for d in all_districts]).order_by(
                "district_id", "last_name", "first_name", "pk"
            )
        )
        if options["enqueue"]:
            connected = [district for district in all_districts if district.is_connected]
            for district in all_districts:
                if not district.is_connected:
                    self.stdout.write(self.style.WARNING(f"District {district}: skipped: disconnected."))
            return self._enqueue(districts=connected, teachers=teachers, mode=mode)
        outcomes = [self._sync_district(district, mode=mode, dry_run=options["dry_run"]) for district in all_districts]
        district_summary = (
            f"Districts: {'checked' if options['dry_run'] else 'synced'} {outcomes.count(True)}, "
            f"failed {outcomes.count(False)}, skipped {outcomes.count(None)} (disconnected)."
        )
        self.stdout.write(district_summary)
        self._teachers(teachers, options=options, failed_before=outcomes.count(False))

    # --- Teachers --------------------------------------------------------------------------------

    def _teachers_by_id(self, clever_ids: list[str]) -> list[Teacher]:
        teachers = list(Teacher.objects.filter(clever_id__in=clever_ids).order_by("last_name", "first_name", "pk"))
        missing = set(clever_ids) - {t.clever_id for t in teachers}
        if missing:
            raise CommandError(f"No teacher with Clever ID {', '.join(sorted(missing))}.")
        return teachers

    def _teachers(self, teachers: list[Teacher], *, options, failed_before: int = 0) -> None:
        total = len(teachers)
        if options["enqueue"]:
            return self._enqueue(districts=[], teachers=teachers, mode="")
        if not total:
            self.stdout.write("No teachers to sync one by one.")
            if failed_before:
                raise CommandError("Some district syncs failed.")
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
            except services.DistrictDisconnected as exc:
                need_login += 1
                self.stdout.write(self.style.WARNING(f"{prefix}: skipped: {exc}"))
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
        if failed or failed_before:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _sync_one(self, teacher, *, dry_run):
        if dry_run:
            credentials = services.teacher_sync_credentials(teacher=teacher)
            return services.roster_preview(teacher=teacher, credentials=credentials)
        return services.teacher_sync(teacher=teacher, trigger=SyncRun.Trigger.COMMAND)

    @staticmethod
    def _counts(result) -> str:
        return (
            f"{result.created} created, {result.updated} updated, {result.removed} removed, {result.restored} restored"
        )

    @classmethod
    def _describe(cls, result, *, dry_run) -> str:
        if dry_run:
            return f"would change: {cls._counts(result)}" if result.total else "already up to date"
        return f"ok: {cls._counts(result)} ({result.http_calls} HTTP calls)"

    # --- Jobs ------------------------------------------------------------------------------------

    def _enqueue(self, *, districts: list[DistrictToken], teachers: list[Teacher], mode: str) -> None:
        queued = jobs.district_jobs_enqueue(districts=districts, trigger=SyncRun.Trigger.COMMAND, mode=mode)
        queued += jobs.sync_jobs_enqueue(teachers=teachers, trigger=SyncRun.Trigger.COMMAND)
        count = len(queued)
        split = f" ({len(districts)} for districts, {len(teachers)} for teachers)" if districts else ""
        self.stdout.write(self.style.SUCCESS(f"Enqueued {count} sync job{'s' if count != 1 else ''}.{split}"))
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
        others = ("teacher", "district", "all", "enqueue", "dry_run", "full", "events", "import_tokens")
        if any(options[name] for name in others):
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
