from django import template

from sandbox.oauth import signed_in_user
from sandbox.state import get_sandbox

register = template.Library()


@register.simple_tag(takes_context=True)
def clever_signed_in_as(context) -> str:
    """Return the name of whoever is signed in at the sandbox in this browser, or ""."""
    request = context.get("request")
    user_id = signed_in_user(request) if request is not None else ""
    if not user_id:
        return ""
    found = get_sandbox().roster.find(user_id)
    name = (found[1].get("name") or {}) if found else {}
    return " ".join(part for part in (name.get("first"), name.get("last")) if part) or user_id
