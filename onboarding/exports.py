"""The answers as CSV: one row per teacher, one column per question."""

import csv
from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import selectors
from .models import Onboarding

# A cell starting with one of these is run as a formula by spreadsheet apps (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Return the cell as text that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def answers_csv_write(*, onboardings: QuerySet[Onboarding], out: IO[str]) -> int:
    """Write the teachers' answers as CSV to `out`; return the number of teacher rows.

    Answers appear as people read them (choice texts, country names). Questions that
    were deactivated still get a column when one of these teachers answered them.
    """
    questions = list(selectors.question_list_for_export(onboardings=onboardings))
    writer = csv.writer(out)
    header = [_("Teacher"), _("Account email"), _("Clever ID"), _("Shared by"), _("Started"), _("Finished")]
    writer.writerow([csv_safe(cell) for cell in header + [question.label for question in questions]])
    count = 0
    for onboarding in selectors.onboarding_list_for_export(onboardings=onboardings):
        user = onboarding.user
        teacher = getattr(user, "teacher", None)
        answers = {answer.question_id: answer.value for answer in onboarding.answers.all()}
        row = [
            (teacher.full_name if teacher else "") or user.get_full_name(),
            user.email,
            teacher.clever_id if teacher else "",
            teacher.get_sharing_display() if teacher else "",
            onboarding.started_at.isoformat(),
            onboarding.finished_at.isoformat() if onboarding.finished_at else "",
        ]
        row += [question.display(answers[question.pk]) if question.pk in answers else "" for question in questions]
        writer.writerow([csv_safe(cell) for cell in row])
        count += 1
    return count
