"""Who Clever says is signing in: /v2.1/me plus the teacher record, flattened once."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace

from rosters import clever
from rosters.models import Teacher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleverProfile:
    """A Clever user as the login needs them. Never holds a token; stored as SocialAccount.extra_data."""

    clever_id: str
    user_type: str
    district_id: str  # "" for Clever Library teachers
    authorized_by: str  # "" when Clever does not say
    sharing: str  # "district" or "library" (rosters.models.Sharing)
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    email: str = ""
    title: str = ""
    school_id: str = ""
    school_name: str = ""  # read only for a teacher new to us, to show on the welcome page

    @classmethod
    def from_clever(cls, *, me: clever.Me, teacher: clever.Teacher | Teacher) -> CleverProfile:
        """`teacher`: Clever's record, or the Teacher row a district sync wrote moments ago (it knows the school)."""
        return cls(
            clever_id=me.id,
            user_type=me.type,
            district_id=me.district_id or teacher.district_id,
            authorized_by=me.authorized_by,
            sharing=me.sharing,
            first_name=teacher.first_name,
            middle_name=teacher.middle_name,
            last_name=teacher.last_name,
            email=teacher.email,
            title=teacher.title,
            school_id=teacher.school_id,
            school_name=getattr(teacher, "school_name", ""),
        )

    @classmethod
    def from_dict(cls, data: dict) -> CleverProfile:
        """Rebuild a profile from `as_dict()` output; unknown keys are ignored, missing ones read as ""."""
        return cls(**{field.name: str(data.get(field.name) or "") for field in fields(cls)})

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def profile_with_school_name(profile: CleverProfile, *, token: str) -> CleverProfile:
    """Return the profile with its school's name read from Clever, or unchanged when Clever cannot say.

    The welcome page shows a teacher new to us whose Clever account they are connecting;
    the school's name is a help there, never a reason to fail a login.
    """
    if not profile.school_id or profile.school_name or not token:
        return profile
    try:
        with clever.CleverClient(token=token) as client:
            name = client.school(profile.school_id).name
    except clever.CleverError as exc:
        logger.info("Could not read the name of school %s: %s", profile.school_id, exc.describe())
        return profile
    return replace(profile, school_name=name[:255])
