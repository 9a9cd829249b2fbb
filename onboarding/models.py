"""
Onboarding: the questions staff define in the admin, and each teacher's answers.

Answers belong to the signed-in person (the User), not to the synced `rosters.Teacher`
row: Clever owns Teacher rows and may relink them (a merge, a Library teacher later
shared by their district), while what a person told us stays theirs.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries


class Question(models.Model):
    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        EMAIL = "email", _("Email")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        COUNTRY = "country", _("Country")

    class Prefill(models.TextChoices):
        NONE = "none", _("Nothing")
        EMAIL = "email", _("Email from Clever")
        NAME = "name", _("Name from Clever")
        SCHOOL = "school", _("School from Clever (district teachers)")
        SUBJECTS = "subjects", _("Subjects of the teacher's classes")
        GRADES = "grades", _("Grades of the teacher's classes")
        COUNTRY = "country", _("Country of the district")

    CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)
    # Which prefill sources make sense for which kinds; checked in clean() so staff get a clear error.
    PREFILL_KINDS = {
        Prefill.EMAIL: (Kind.EMAIL, Kind.SHORT_TEXT),
        Prefill.NAME: (Kind.SHORT_TEXT,),
        Prefill.SCHOOL: (Kind.SHORT_TEXT,),
        Prefill.SUBJECTS: CHOICE_KINDS,
        Prefill.GRADES: CHOICE_KINDS,
        Prefill.COUNTRY: (Kind.COUNTRY,),
    }

    label = models.CharField(_("question"), max_length=255)
    help_text = models.CharField(
        _("help text"), max_length=500, blank=True, help_text=_("Shown under the question, in smaller print.")
    )
    kind = models.CharField(_("kind of answer"), max_length=32, choices=Kind.choices, default=Kind.SHORT_TEXT)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_(
            "Single and multiple choice only. One choice per line. To store a short value and show "
            "a friendlier text, write “value | text”, e.g. “1 | Grade 1”. Prefill from Clever matches the value."
        ),
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Smaller numbers come first."))
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive questions are not asked."))
    # Optional unless staff say so: a new question asked of everyone should not block a
    # teacher's first visit (the default questions set their own, in a migration).
    required_for_district = models.BooleanField(
        _("required for district teachers"),
        default=False,
        help_text=_("Teachers whose district shares them with us through Clever."),
    )
    required_for_library = models.BooleanField(
        _("required for Library teachers"),
        default=False,
        help_text=_("Teachers who added the app themselves from the Clever Library (free trial)."),
    )
    prefill = models.CharField(
        _("prefill from Clever"),
        max_length=16,
        choices=Prefill.choices,
        default=Prefill.NONE,
        help_text=_("What we fill in from Clever. The teacher can always change it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["active", "order"])]

    def __str__(self):
        return self.label

    @property
    def is_choice(self) -> bool:
        return self.kind in self.CHOICE_KINDS

    @property
    def choice_list(self) -> list[tuple[str, str]]:
        """Return the choices as (value, text) pairs, in the order staff wrote them."""
        return parse_choices(self.choices)

    def required_for(self, *, is_library: bool) -> bool:
        return self.required_for_library if is_library else self.required_for_district

    def shape(self, value) -> str | list[str]:
        """Return `value` in this question's current shape: a list for multiple choice, else a string.

        Staff may change a question's kind after it was answered; the form still gets a value it can show.
        """
        if self.kind == self.Kind.MULTIPLE_CHOICE:
            if isinstance(value, list):
                return [str(item) for item in value]
            return [str(value)] if value else []
        if isinstance(value, list):
            return str(value[0]) if value else ""
        return "" if value is None else str(value)

    def display(self, value) -> str:
        """Return an answer as people read it: choice texts, country names."""
        value = self.shape(value)
        if self.kind == self.Kind.COUNTRY:
            return str(countries.name(value) or value) if value else ""
        if self.is_choice:
            texts = dict(self.choice_list)
            values = value if isinstance(value, list) else [value] if value else []
            return "; ".join(str(texts.get(item, item)) for item in values)
        return value

    def clean(self):
        errors = {}
        pairs = self.choice_list
        if self.is_choice:
            values = [value.casefold() for value, _text in pairs]
            if not pairs:
                errors["choices"] = _("Add at least one choice, one per line.")
            elif len(set(values)) != len(values):
                errors["choices"] = _("Each choice must be different.")
        elif pairs:
            errors["choices"] = _("Only single and multiple choice questions have choices: leave this empty.")
        allowed = self.PREFILL_KINDS.get(self.prefill)
        if allowed is not None and self.kind not in allowed:
            errors["prefill"] = _("“%(prefill)s” can only fill a question of kind: %(kinds)s.") % {
                "prefill": self.get_prefill_display(),
                "kinds": ", ".join(str(self.Kind(kind).label) for kind in allowed),
            }
        if errors:
            raise ValidationError(errors)


def parse_choices(text: str) -> list[tuple[str, str]]:
    """Parse one choice per line, "value" or "value | text", skipping blank lines."""
    pairs = []
    for line in text.splitlines():
        value, sep, label = line.partition("|")
        value, label = value.strip(), label.strip()
        if value:
            pairs.append((value, label if sep and label else value))
    return pairs


class Onboarding(models.Model):
    """One person's questionnaire: when they first saw it and when they finished it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="onboarding"
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)

    class Meta:
        verbose_name = _("teacher onboarding")
        verbose_name_plural = _("teacher onboardings")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return str(self.user)

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class Answer(models.Model):
    """A teacher's answer to one question.

    It references the question (for revising, and one CSV column per question) and also
    keeps the label the teacher actually saw, so rewording a question later does not
    rewrite what was asked. `value` is JSON: a string, or a list of choice values for
    multiple choice, so answers round-trip exactly.
    """

    onboarding = models.ForeignKey(
        Onboarding, verbose_name=_("onboarding"), on_delete=models.CASCADE, related_name="answers"
    )
    # PROTECT: a question somebody answered is deactivated, not deleted, so answers keep their meaning.
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    label = models.CharField(_("question as asked"), max_length=255)
    value = models.JSONField(_("answer"), blank=True, default=str)
    created_at = models.DateTimeField(_("first answered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "question"], name="onboarding_answer_unique"),
        ]

    def __str__(self):
        return f"{self.onboarding} · {self.label}"
