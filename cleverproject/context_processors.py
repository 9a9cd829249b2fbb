"""Template context every page shares."""

from django.conf import settings


def site(request) -> dict:
    """Give templates the product's name (SITE_NAME), so pages, emails and the admin agree on it."""
    return {"site_name": settings.SITE_NAME}
