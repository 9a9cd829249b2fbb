"""The questionnaire form, built from the active questions; and the admin's question form."""

import hashlib
from dataclasses import dataclass, field

from django import forms
from django.core import signing
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Question
from .selectors import question_next_order
from .widgets import Select, choice_input

FIELD_PREFIX = "q_"
VERSION_FIELD = "version"
_VERSION_SALT = "onboarding.form-version"

TAMPERED_MESSAGE = _(
    "This form was changed before it reached us, so nothing was saved. Please check your answers and send it again."
)
OUTDATED_MESSAGE = _(
    "The questions changed while you were answering, so nothing was saved. Please check your answers and "
    "send them again."
)


def questions_digest(questions: list[Question]) -> str:
    """Return a fingerprint of the questions as shown: it changes when staff edit, add or hide one."""
    fingerprint = "|".join(f"{question.pk}:{question.updated_at.isoformat()}" for question in questions)
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:20]


# The grades most teachers teach, shown first in this order; a grades question's other choices
# (infant/toddler, pre-K, postgraduate…) wait behind "More grades".
COMMON_GRADES = ("Kindergarten", *(str(grade) for grade in range(1, 13)))


@dataclass(frozen=True)
class Choice:
    """One checkbox of a multiple-choice question, its <input> already written."""

    id: str
    label: str
    input: str

    @classmethod
    def of(cls, widget: BoundWidget) -> "Choice":
        return cls(id=widget.id_for_label, label=widget.choice_label, input=choice_input(widget.data))


@dataclass
class Row:
    """One question as the template shows it; a long list of grades shows its common ones first."""

    field: forms.BoundField
    from_clever: bool
    choices_first: list[Choice] = field(default_factory=list)  # in the order shown
    choices_more: list[Choice] = field(default_factory=list)  # behind "More grades"
    more_open: bool = False  # a choice behind "more" is ticked: show it


class OnboardingForm(forms.Form):
    """One field per active question, initially the saved answer, else what Clever told us.

    `questions` are the active questions in order; `saved` and `prefill` map question ids to values.
    """

    required_css_class = "required"

    def __init__(self, *args, questions, is_library, saved, prefill, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = {f"{FIELD_PREFIX}{question.pk}": question for question in questions}
        self._digest = questions_digest(questions)
        # Signed, so an edited version is told apart from questions that changed meanwhile.
        self.version = signing.Signer(salt=_VERSION_SALT).sign(self._digest)
        self.prefill = {}
        for name, question in self.questions.items():
            required = question.required_for(is_library=is_library)
            if question.prefill in (Question.Prefill.SUBJECTS, Question.Prefill.GRADES) and question.pk not in prefill:
                # Nothing in Clever to go by (no classes yet): a teacher can still finish in one click.
                required = False
            self.fields[name] = self._field_for(question, required=required)
            if question.pk in saved:
                # What the teacher saved wins over Clever, even an answer they emptied on purpose.
                self.initial[name] = question.shape(saved[question.pk])
            elif question.pk in prefill:
                self.initial[name] = self.prefill[name] = prefill[question.pk]

    @staticmethod
    def _field_for(question: Question, *, required: bool) -> forms.Field:
        common = {
            "label": question.label,
            "help_text": question.help_text,
            "required": required,
            "error_messages": {"required": _("Please answer this question.")},
        }
        Kind = Question.Kind
        if question.kind == Kind.EMAIL:
            return forms.EmailField(max_length=254, **common)
        if question.kind == Kind.SINGLE_CHOICE:
            return forms.ChoiceField(choices=[("", _("Choose…")), *question.choice_list], widget=Select, **common)
        if question.kind == Kind.MULTIPLE_CHOICE:
            common["error_messages"]["required"] = _("Please choose at least one.")
            return forms.MultipleChoiceField(
                choices=question.choice_list,
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        if question.kind == Kind.COUNTRY:
            return forms.ChoiceField(choices=[("", _("Choose a country…")), *countries], widget=Select, **common)
        return forms.CharField(max_length=255, **common)

    def clean(self):
        cleaned = super().clean()
        posted = self.data.get(VERSION_FIELD, "")
        try:
            version = signing.Signer(salt=_VERSION_SALT).unsign(posted)
        except signing.BadSignature:
            raise forms.ValidationError(TAMPERED_MESSAGE, code="tampered") from None
        # A field for a question that does not exist or is no longer active.
        unknown = [key for key in self.data if key.startswith(FIELD_PREFIX) and key not in self.fields]
        if unknown:
            raise forms.ValidationError(TAMPERED_MESSAGE, code="tampered")
        if version != self._digest:
            raise forms.ValidationError(OUTDATED_MESSAGE, code="outdated")
        return cleaned

    @property
    def rows(self) -> list[Row]:
        """Return the fields with a "from Clever" mark where the shown value is still Clever's."""
        rows = []
        for name, question in self.questions.items():
            bound = self[name]
            from_clever = name in self.prefill and (not self.is_bound or self._posted(name) == self.prefill[name])
            row = Row(field=bound, from_clever=from_clever)
            if question.kind == Question.Kind.MULTIPLE_CHOICE:
                self._split_choices(row, question)
            rows.append(row)
        return rows

    def _split_choices(self, row: Row, question: Question) -> None:
        """Put a grades question's common grades first, K to 12, and the rest behind "more"."""
        widgets = list(row.field.subwidgets)
        common = [grade for grade in COMMON_GRADES if grade in {widget.data["value"] for widget in widgets}]
        if question.prefill != Question.Prefill.GRADES or not common:
            row.choices_first = [Choice.of(widget) for widget in widgets]
            return
        by_value = {widget.data["value"]: widget for widget in widgets}
        more = [widget for widget in widgets if widget.data["value"] not in common]
        row.choices_first = [Choice.of(by_value[grade]) for grade in common]
        row.choices_more = [Choice.of(widget) for widget in more]
        row.more_open = any(widget.data["selected"] for widget in more)

    @property
    def error_rows(self) -> list[Row]:
        """Return the questions that were refused, in form order, for the error summary."""
        return [row for row in self.rows if row.field.errors]

    def _posted(self, name):
        field = self.fields[name]
        value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        return [str(item) for item in value] if isinstance(value, list) else (value or "").strip()

    def answers(self) -> dict[Question, str | list[str]]:
        """Return the cleaned answers by question; call after is_valid()."""
        return {question: self.cleaned_data[name] for name, question in self.questions.items()}

    def contact_email(self) -> str:
        """Return the email the teacher gave (the email question prefilled from Clever), or ""; after is_valid()."""
        for name, question in self.questions.items():
            if question.kind == Question.Kind.EMAIL and question.prefill == Question.Prefill.EMAIL:
                return self.cleaned_data.get(name) or ""
        return ""


class QuestionAdminForm(forms.ModelForm):
    """A question as staff write it; left without an order, it goes after every other question."""

    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        help_text=_("Smaller numbers come first. Leave it empty to put the question last."),
    )

    class Meta:
        model = Question
        fields = [
            "label",
            "help_text",
            "kind",
            "choices",
            "required_for_district",
            "required_for_library",
            "prefill",
            "order",
            "active",
        ]
        widgets = {
            "choices": forms.Textarea(attrs={"rows": 12, "cols": 60}),
            "help_text": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial["order"] = None  # not the model's 0, which would put it above Email

    def clean_order(self):
        order = self.cleaned_data["order"]
        return question_next_order() if order is None else order
