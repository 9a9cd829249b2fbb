"""My classes: the signed-in teacher's sections, one section's students, and the button that syncs them now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import SyncRun


@require_GET
@login_required
def classes(request):
    """My classes: the teacher's sections with subject, grade, co-teachers and student count."""
    teacher = selectors.teacher_for_user(user=request.user)
    context = {"teacher": teacher, "sections": [], "last_sync": None, "updating": False}
    if teacher is not None:
        context["sections"] = selectors.teacher_sections(teacher=teacher)
        context["last_sync"] = selectors.teacher_last_sync(teacher=teacher)
        context["updating"] = selectors.teacher_sync_pending(teacher=teacher)
    return render(request, "rosters/classes.html", context)


@require_POST
@login_required
def sync_now(request):
    """Sync the signed-in teacher's classes from Clever now."""
    teacher = selectors.teacher_for_user(user=request.user)
    if teacher is None:
        messages.error(request, _("Your account is not connected to Clever, so there are no classes to update."))
        return redirect("rosters:classes")
    try:
        run = services.teacher_sync_now(teacher=teacher, requested_by=request.user)
    except services.SyncTooSoon as exc:
        messages.info(
            request,
            ngettext(
                "Your classes were updated from Clever a moment ago. You can update them again in %(wait)d second.",
                "Your classes were updated from Clever a moment ago. You can update them again in %(wait)d seconds.",
                exc.wait,
            )
            % {"wait": exc.wait},
        )
        return redirect("rosters:classes")
    except services.NeedsFreshLogin:
        messages.warning(request, _("To update your classes, please log in with Clever again."))
        return redirect("rosters:classes")
    if run.outcome == SyncRun.Outcome.SUCCESS:
        if run.created or run.updated or run.removed or run.restored:
            messages.success(request, _("Your classes are up to date with Clever."))
        else:
            messages.success(request, _("Your classes were already up to date with Clever."))
    else:
        messages.error(request, run.message)
    return redirect("rosters:classes")


@require_GET
@login_required
def section_detail(request, section_pk):
    """One section's students, with the ones removed in Clever marked as such."""
    section = selectors.section_for_user(user=request.user, section_pk=section_pk)
    enrollments = selectors.section_enrollments(section=section)
    return render(request, "rosters/section.html", {"section": section, "enrollments": enrollments})
