"""The roster in the admin: what Clever owns is read-only; actions and the token import call rosters' services.

One module per subject; importing them registers their ModelAdmins.
"""

from . import districts, roster, syncs  # noqa: F401 - registers the ModelAdmins
