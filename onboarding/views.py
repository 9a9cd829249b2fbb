from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services as account_services
from rosters.selectors import teacher_for_user

from . import selectors, services
from .forms import OnboardingForm


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire(request):
    """Show the questionnaire prefilled from Clever (or the saved answers), and save it."""
    teacher = teacher_for_user(user=request.user)
    if teacher is None:
        # Only Clever teachers onboard; local accounts and staff have nothing to answer here.
        return redirect("rosters:classes")
    if request.method == "POST":
        # A refused submit must leave no trace, so the onboarding row is only looked up here.
        onboarding = selectors.onboarding_get(user=request.user)
    else:
        onboarding = services.onboarding_start(user=request.user)
    revising = onboarding is not None and onboarding.is_finished
    questions = list(selectors.question_list_active())
    form = OnboardingForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        is_library=teacher.is_library,
        saved=selectors.answer_values(onboarding=onboarding),
        prefill=selectors.onboarding_prefill(teacher=teacher, user=request.user, questions=questions),
    )
    if form.is_bound and form.is_valid():
        services.onboarding_submit(user=request.user, answers=form.answers())
        # The email they gave becomes the account's when it had none (never replacing one).
        account_services.user_email_adopt(user=request.user, email=form.contact_email())
        if revising:
            messages.success(request, _("Your answers are saved."))
            return redirect("accounts:account")
        messages.success(request, _("Thank you, you're all set!"))
        return redirect("rosters:classes")
    return render(request, "onboarding/form.html", {"form": form, "revising": revising, "teacher": teacher})
