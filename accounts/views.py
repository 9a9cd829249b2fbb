from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    """Show the sign-in choices, or send a signed-in user to their next step."""
    if request.user.is_authenticated:
        # The onboarding gate sends teachers who have not finished to /onboarding/ first.
        return redirect("rosters:classes")
    return render(request, "home.html")
