"""Collect everything the sandbox serves, by API version and record kind, for the conformance tests."""

from sandbox import demo
from sandbox.roster import KINDS

from .helpers import api_get, district_token, follow, sign_in

VERSIONS = ("v2.0", "v2.1")


def served_records(sandbox, version: str) -> dict[str, list[dict]]:
    """Return every record the sandbox serves in `version`, by kind: district-token lists and user-token views."""
    token = district_token(sandbox, demo.DISTRICT)
    records = {kind: [] for kind in KINDS}
    for kind in KINDS:
        path = f"/{version}/{kind}"
        response = api_get(sandbox, path, token, **({} if kind == "districts" else {"limit": 10000}))
        assert response.status_code == 200, (path, response.text)
        records[kind] += [item["data"] for item in response.json()["data"]]
    # What users see: the Library's reduced records and a district teacher's own view.
    for user_id, section_id in ((demo.PRIYA_RAMAN, demo.READING_GROUP), (demo.ZOE_OBRIEN, demo.STEM_LAB)):
        user = sign_in(sandbox, user_id)
        records["teachers"].append(api_get(sandbox, f"/{version}/teachers/{user_id}", user).json()["data"])
        sections = api_get(sandbox, f"/{version}/teachers/{user_id}/sections", user).json()["data"]
        records["sections"] += [item["data"] for item in sections]
        students = api_get(sandbox, f"/{version}/sections/{section_id}/students", user).json()["data"]
        records["students"] += [item["data"] for item in students]
    library_student = sign_in(sandbox, demo.LIBRARY_STUDENT)
    records["students"].append(
        api_get(sandbox, f"/{version}/students/{demo.LIBRARY_STUDENT}", library_student).json()["data"]
    )
    return records


def served_me(sandbox, version: str) -> list[dict]:
    """Return /me bodies for every kind of token."""
    users = (
        demo.ZOE_OBRIEN,
        demo.PRIYA_RAMAN,
        demo.MAYA_RODRIGUEZ,
        demo.LIBRARY_STUDENT,
        demo.SCHOOL_ADMIN,
        demo.DISTRICT_ADMIN,
    )
    tokens = [sign_in(sandbox, user_id) for user_id in users] + [district_token(sandbox, demo.DISTRICT)]
    return [api_get(sandbox, f"/{version}/me", token).json() for token in tokens]


def served_links(sandbox, version: str) -> list[dict]:
    """Return the `links` of single-record and paged list responses."""
    token = district_token(sandbox, demo.DISTRICT)
    bodies = [
        api_get(sandbox, f"/{version}/students", token, limit=5).json(),
        api_get(sandbox, f"/{version}/students", token, limit=5, starting_after=demo.MAYA_RODRIGUEZ).json(),
        api_get(sandbox, f"/{version}/teachers/{demo.ZOE_OBRIEN}", token).json(),
    ]
    ids, _pages = follow(sandbox, f"/{version}/sections", token, limit=3)
    assert ids
    return [link for body in bodies for link in body["links"]]


def stretch_roster(sandbox) -> None:
    """Use values only v2.1 can express, so the v2.0 mapping is exercised too."""
    state = sandbox.state
    state.update("students", demo.MAYA_RODRIGUEZ, grade="13", gender="X")
    state.update("sections", demo.GEOMETRY, grade="Ungraded", subject="")
    state.update("sections", demo.ART, grade="", subject=None)
    state.update("schools", demo.MAPLE_GROVE, low_grade="Preschool", high_grade="TransitionalKindergarten")
    state.update("districts", demo.DISTRICT, state="")
