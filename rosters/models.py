"""
Rosters synced from Clever: teachers, sections, students and enrollments.

Every synced model has a local primary key plus a unique `clever_id`, so
upserts are keyed on Clever's id and races are settled by the database.
Clever owns these rows, and each table has one writer: Teacher `rosters.teachers`;
Section, Student, SectionTeacher and Enrollment `rosters.sync.rows`; SyncRun
`rosters.services`; DistrictToken `rosters.districts`; SyncJob `rosters.job_runner`;
RateBudget `rosters.throttle` (docs/architecture.md).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField


class Sharing(models.TextChoices):
    DISTRICT = "district", _("District")
    LIBRARY = "library", _("Clever Library")


class Teacher(models.Model):
    clever_id = models.CharField(_("Clever ID"), max_length=64, unique=True)
    # Empty for a co-teacher who has not signed in yet. Deleting the account deletes the row
    # (its name, email and token) with it; what else goes is in docs/privacy.md.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="teacher",
    )
    first_name = models.CharField(_("first name"), max_length=255, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=255, blank=True)
    last_name = models.CharField(_("last name"), max_length=255, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    district_id = models.CharField(
        _("district ID"), max_length=64, blank=True, help_text=_("Blank for Clever Library teachers.")
    )
    school_id = models.CharField(_("school ID"), max_length=64, blank=True)
    school_name = models.CharField(_("school"), max_length=255, blank=True)
    sharing = models.CharField(_("shared by"), max_length=16, choices=Sharing.choices, default=Sharing.DISTRICT)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # The teacher's most recent Clever user token, for syncs outside a login. Never displayed.
    token = EncryptedTextField(_("Clever token"), blank=True, editable=False)
    token_saved_at = models.DateTimeField(_("token saved"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["last_name", "first_name", "clever_id"]
        # school_id: the admin's school filter and school names read teachers by school.
        indexes = [models.Index(fields=["district_id"]), models.Index(fields=["school_id"])]

    def __str__(self):
        return self.full_name or self.clever_id

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_library(self) -> bool:
        return self.sharing == Sharing.LIBRARY


class Section(models.Model):
    clever_id = models.CharField(_("Clever ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    # Clever's subject and grade enums grow over time: unknown values are kept as they come.
    subject = models.CharField(_("subject"), max_length=64, blank=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    period = models.CharField(_("period"), max_length=64, blank=True)
    section_number = models.CharField(_("section number"), max_length=64, blank=True)
    school_id = models.CharField(_("school ID"), max_length=64, blank=True)
    district_id = models.CharField(_("district ID"), max_length=64, blank=True)
    teachers = models.ManyToManyField(Teacher, through="SectionTeacher", related_name="sections")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["name", "clever_id"]

    def __str__(self):
        return self.name


class SectionTeacher(models.Model):
    # No index of its own: the unique (section, teacher) index serves lookups by section.
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="section_teachers", db_index=False)
    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="section_teachers")
    is_primary = models.BooleanField(_("primary teacher"), default=False)

    class Meta:
        verbose_name = _("section teacher")
        verbose_name_plural = _("section teachers")
        constraints = [
            models.UniqueConstraint(fields=["section", "teacher"], name="rosters_sectionteacher_unique"),
        ]

    def __str__(self):
        return f"{self.teacher} - {self.section}"


class Student(models.Model):
    """A student: only the id, names and grade. No birth dates, demographics or contacts."""

    clever_id = models.CharField(_("Clever ID"), max_length=64, unique=True)
    first_name = models.CharField(_("first name"), max_length=255, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=255, blank=True)
    last_name = models.CharField(_("last name"), max_length=255, blank=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    # Set when the student has no active enrollment left; cleared when one returns.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "clever_id"]

    def __str__(self):
        return self.full_name or self.clever_id

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Enrollment(models.Model):
    # No index of its own: the unique (section, student) index serves lookups by section, and
    # a district snapshot writes one index fewer for each of its enrollments.
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="enrollments", db_index=False)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    # Removals are soft: a student who reappears keeps this row and its primary key.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["section", "student"], name="rosters_enrollment_unique"),
        ]

    def __str__(self):
        return f"{self.student} in {self.section}"


class SyncRun(models.Model):
    """One sync as it ran: of a teacher's roster, or of a whole district (full or from events)."""

    class Trigger(models.TextChoices):
        LOGIN = "login", _("Login")
        BUTTON = "button", _("Sync now button")
        ADMIN = "admin", _("Admin action")
        COMMAND = "command", _("Management command")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCESS = "success", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        TEACHER = "teacher", _("One teacher")
        FULL = "full", _("District, full")
        EVENTS = "events", _("District, from events")

    # A teacher's sync has a teacher, a district sync a district; never both, never neither.
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_runs")
    district = models.ForeignKey(
        "DistrictToken",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sync_runs",
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.TEACHER)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    restored = models.PositiveIntegerField(_("restored"), default=0)
    http_calls = models.PositiveIntegerField(_("HTTP calls"), default=0)
    # District syncs: records (full) or events (incremental) read from Clever.
    records = models.PositiveIntegerField(_("records read"), default=0)
    # How a district sync went, for staff: a fallback to a full sync and why, events skipped.
    note = models.TextField(_("note"), blank=True)
    # What went wrong: `error` for staff (the kind of failure and Clever's own words),
    # `message` for the teacher. Neither ever holds a token.
    error = models.TextField(_("error"), blank=True)
    message = models.TextField(_("message to the teacher"), blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["teacher", "-started_at"]), models.Index(fields=["district", "-started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(teacher__isnull=False, district__isnull=True)
                | models.Q(teacher__isnull=True, district__isnull=False),
                name="rosters_syncrun_teacher_or_district",
            ),
        ]

    def __str__(self):
        return f"{self.teacher or self.district} · {self.get_trigger_display()} · {self.get_outcome_display()}"


class DistrictToken(models.Model):
    """A district that shares the app: its district-app token, and where its district-wide sync stands.

    Written by `rosters.districts` only (imports, staff entering a token, disconnects, the
    district engine's state). docs/district-sync.md says what each field means to staff.
    """

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        # Clever refused the token (401): the district disconnected the app. Syncs stop,
        # and its data is purged after DATA_RETENTION_DISCONNECTED_DAYS unless it reconnects.
        DISCONNECTED = "disconnected", _("Disconnected")

    class SyncMode(models.TextChoices):
        FULL = "full", _("Full")
        EVENTS = "events", _("Events (only what changed)")

    district_id = models.CharField(_("district ID"), max_length=64, unique=True)
    name = models.CharField(_("district name"), max_length=255, blank=True)
    token = EncryptedTextField(_("token"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CONNECTED)
    disconnected_at = models.DateTimeField(_("disconnected"), null=True, blank=True)
    sync_mode = models.CharField(
        _("sync mode"),
        max_length=16,
        choices=SyncMode.choices,
        default=SyncMode.FULL,
        help_text=_(
            "Full reads the whole district each time. Events reads only what changed, from Clever's Events API: "
            "turn events on in Clever's dashboard first (Settings > Integrations > Enable events). A sync falls "
            "back to a full one when Clever cannot give what changed."
        ),
    )
    last_full_sync_at = models.DateTimeField(_("last full sync"), null=True, blank=True)
    last_incremental_sync_at = models.DateTimeField(_("last incremental sync"), null=True, blank=True)
    # Where the district's event feed stood when the roster was last brought up to date:
    # the next incremental sync reads the events after it. Known with an empty id: the feed
    # had no event yet (every event it has later is new).
    last_event_id = models.CharField(_("last event ID"), max_length=64, blank=True)
    event_position_known = models.BooleanField(_("event position known"), default=False)
    last_run = models.ForeignKey(
        "SyncRun", verbose_name=_("last sync"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name", "district_id"]

    def __str__(self):
        return self.name or self.district_id

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED

    @property
    def last_synced_at(self):
        """When the district's roster was last brought up to date (full or incremental), or None."""
        return max(filter(None, (self.last_full_sync_at, self.last_incremental_sync_at)), default=None)


class SyncJob(models.Model):
    """One background re-sync of a teacher or of a whole district (a fleet job): queued, run, retried, finished.

    Every attempt is a task on Django's tasks API (`rosters.tasks`, which runs it through
    `rosters.job_runner`), and every attempt that reaches Clever writes its own SyncRun.
    The job holds what the attempts share: how many ran, when the next may run, and the
    heartbeat by which a job whose worker died is found and run again. No token is ever
    stored here.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    # A teacher's job has a teacher, a district's job a district; never both, never neither.
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_jobs")
    district = models.ForeignKey(
        DistrictToken, verbose_name=_("district"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=SyncRun.Trigger.choices)
    # A district's job: "full" or "events" forces that kind of sync; "" follows the district's sync mode.
    mode = models.CharField(_("mode"), max_length=16, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # A sync that started after this covers the request: the job then has nothing to do.
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    # Re-enqueued because Clever's rate limit or another sync of the teacher held it up.
    deferrals = models.PositiveSmallIntegerField(_("deferrals"), default=0)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    run_after = models.DateTimeField(_("next attempt after"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("last run")
    )
    # What held the job up or ended it, for staff; never a token.
    error = models.TextField(_("error"), blank=True)

    class Meta:
        # Named for staff: a job is a sync that runs in the background (its framework task is technical).
        verbose_name = _("background sync")
        verbose_name_plural = _("background syncs")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["teacher", "status"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        constraints = [
            # Two workers never sync one teacher at once: the database refuses a second claim.
            models.UniqueConstraint(
                fields=["teacher"], condition=models.Q(status="running"), name="rosters_syncjob_one_running"
            ),
            # Nor one district.
            models.UniqueConstraint(
                fields=["district"],
                condition=models.Q(status="running"),
                name="rosters_syncjob_one_running_district",
            ),
            models.CheckConstraint(
                condition=models.Q(teacher__isnull=False, district__isnull=True)
                | models.Q(teacher__isnull=True, district__isnull=False),
                name="rosters_syncjob_teacher_or_district",
            ),
        ]

    def __str__(self):
        return f"{self.teacher or self.district} · {self.get_trigger_display()} · {self.get_status_display()}"


class RateBudget(models.Model):
    """Requests one Clever token made in one fixed window, shared by every worker (rosters.throttle)."""

    key = models.CharField(_("token hash"), max_length=64)  # SHA-256 of the token, never the token
    window_start = models.BigIntegerField(_("window start (Unix seconds)"))
    used = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("rate budget")
        verbose_name_plural = _("rate budgets")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rosters_ratebudget_window"),
        ]

    def __str__(self):
        return f"{self.key[:8]}… @ {self.window_start}: {self.used}"
