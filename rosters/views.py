"""My classes: the signed-in teacher's sections, one section's students, and the button that syncs them now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import names, selectors, services
from .models import SyncRun

# A class with more students than this gets a filter box.
FILTER_FROM = 30


@require_GET
@login_required
def classes(request):
    """My classes: the teacher's sections with subject, grade, co-teachers and student count."""
    teacher = selectors.teacher_for_user(user=request.user)
    context = {
        "teacher": teacher,
        "sections": [],
        "last_sync": None,
        "updating": False,
        "needs_login": False,
        "roster_updated_at": None,
        "district_disconnected": False,
    }
    if teacher is not None:
        district = selectors.teacher_district(teacher=teacher)
        updated_at = selectors.teacher_roster_updated_at(teacher=teacher, district=district)
        last_sync = selectors.teacher_last_sync(teacher=teacher)
        if last_sync is not None and updated_at and last_sync.finished_at and last_sync.finished_at < updated_at:
            last_sync = None  # a failure the district's sync has made up for since
        disconnected = district is not None and not district.is_connected
        context.update(
            sections=selectors.teacher_sections(teacher=teacher),
            last_sync=last_sync,
            updating=selectors.teacher_sync_pending(teacher=teacher),
            roster_updated_at=updated_at,
            district_disconnected=disconnected,
            # Clever refused the stored token, or there never was one: only a fresh login can update.
            # (A disconnected district says so instead: a login would not help.)
            needs_login=not disconnected and not services.teacher_can_sync(teacher=teacher, district=district),
        )
    return render(request, "rosters/classes.html", context)


@require_POST
@login_required
def sync_now(request):
    """Sync the signed-in teacher's classes from Clever now; a failure is told on My classes itself."""
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
    except services.DistrictDisconnected as exc:
        messages.error(request, exc.user_message)
        return redirect("rosters:classes")
    except services.NeedsFreshLogin:
        return redirect("rosters:classes")  # My classes asks for a fresh login, with the button to do it
    if run.outcome == SyncRun.Outcome.SUCCESS:
        if run.created or run.updated or run.removed or run.restored:
            messages.success(request, _("Your classes are up to date with Clever."))
        else:
            messages.success(request, _("Your classes were already up to date with Clever."))
    return redirect("rosters:classes")


@require_GET
@login_required
def section_detail(request, section_pk):
    """One section's students, with the ones removed in Clever marked as such; a filter for large classes."""
    section = selectors.section_for_user(user=request.user, section_pk=section_pk)
    query = request.GET.get("q", "").strip()[:100]
    students = selectors.section_students(section=section)
    shown = [row for row in students if not query or names.matches(query, row.name)]
    current = sum(1 for row in students if row.enrollment.removed_at is None)
    context = {
        "section": section,
        "students": shown,
        "current_count": current,
        "removed_count": len(students) - current,
        "query": query,
        "show_filter": len(students) > FILTER_FROM or bool(query),
        "teacher": selectors.teacher_for_user(user=request.user),
    }
    return render(request, "rosters/section.html", context)
