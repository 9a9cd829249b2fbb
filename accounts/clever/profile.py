"""Who Clever says is signing in: /v2.1/me plus the teacher record, flattened once."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from rosters import clever


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

    @classmethod
    def from_clever(cls, *, me: clever.Me, teacher: clever.Teacher) -> CleverProfile:
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
