from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def classes(request):
    """My classes."""
    return render(request, "rosters/classes.html", {"sections": []})
