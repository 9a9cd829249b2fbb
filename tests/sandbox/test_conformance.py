"""
Every record the sandbox serves conforms to Clever's definitions.

First, in every clone, against the hand-checked field lists of `clever_fields` (literals,
not the sandbox's own transcription in sandbox/schema.py). Then, when Clever's published
OpenAPI files sit beside the repository (``../shared/clever-spec/``, as in CI), directly
against those files, read with PyYAML, and the hand-checked lists against them too.
"""

import re
from pathlib import Path

import pytest

from sandbox import schema
from sandbox.roster import KINDS

from . import clever_fields as cf
from .conformance import VERSIONS, served_links, served_me, served_records, stretch_roster

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "clever-spec"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DOB = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


@pytest.fixture(params=[False, True], ids=["demo", "stretched"])
def sandbox(request, clever_sandbox):
    if request.param:
        stretch_roster(clever_sandbox)
    return clever_sandbox


# --- Against the hand-checked field lists ------------------------------------------------------


def record_problems(record: dict, kind: str, version: str) -> list[str]:
    """Return how a served record breaks clever_fields' rules (empty when it conforms)."""
    library = kind in cf.LIBRARY_FIELDS and "district" not in record
    if library:
        allowed, required, nullable = cf.LIBRARY_FIELDS[kind], cf.LIBRARY_REQUIRED[kind], {"email", "grade", "teacher"}
    else:
        allowed = cf.FIELDS_V20[kind] | (cf.V21_ADDED[kind] if version == "v2.1" else set())
        required = cf.REQUIRED[kind]
        nullable = cf.NULLABLE_V20[kind] | (cf.NULLABLE_V21_ADDED.get(kind, set()) if version == "v2.1" else set())
    where = f"{version} {'Library ' if library else ''}{kind} {record.get('id')}"
    problems = [f"{where}: {key} is not a field here" for key in sorted(set(record) - allowed)]
    problems += [f"{where}: {key} is missing" for key in sorted(required - set(record))]
    for key, value in record.items():
        if key not in allowed:
            continue
        if value is None:
            if key not in nullable:
                problems.append(f"{where}: {key} may not be null")
            continue
        problems += [f"{where}: {key}: {problem}" for problem in value_problems(kind, key, value, version, library)]
    return problems


def value_problems(kind: str, key: str, value, version: str, library: bool) -> list[str]:
    if key in cf.LISTS:
        if not isinstance(value, list):
            return ["not a list"]
        if key == "enrollments":
            return [f"{item} has other fields" for item in value if set(item) - cf.SCHOOL_ENROLLMENT]
        return [] if all(isinstance(item, str) for item in value) else ["not a list of ids"]
    if key in cf.OBJECTS and not (key == "name" and kind in cf.NAMED_BY_A_STRING):
        if not isinstance(value, dict):
            return ["not an object"]
        fields = {
            "name": cf.ADMIN_NAME if kind.endswith("_admins") else cf.NAME,
            "credentials": cf.CREDENTIALS,
            "location": cf.LOCATION,
            "principal": cf.PRINCIPAL,
            "district_contact": cf.FIELDS_V20["district_admins"],
        }.get(key)
        problems = [f"{name} is not one of its fields" for name in sorted(set(value) - fields)] if fields else []
        if library and key == "name":
            problems += [] if len(value.get("last") or "") <= 1 or kind != "students" else ["a full last name"]
            problems += ["a middle name"] if kind == "students" and "middle" in value else []
        return problems
    if not isinstance(value, str):
        return [f"{value!r} is not a string"]
    enum = cf.ENUMS[version].get((kind, key))
    if enum is not None and value not in enum:
        return [f"{value!r} is not one of Clever's values"]
    if key in cf.DATETIMES.get(kind, ()) and not DATETIME.match(value):
        return [f"{value!r} is not a date-time"]
    if (kind, key) == ("students", "dob") and not DOB.match(value):
        return [f"{value!r} is not M/D/YYYY"]
    return []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_record_has_clevers_fields_and_values(sandbox, version):
    records = served_records(sandbox, version)

    for kind in KINDS:
        assert records[kind], kind
        for record in records[kind]:
            assert record_problems(record, kind, version) == [], record


@pytest.mark.parametrize("version", VERSIONS)
def test_me_and_links_have_clevers_fields_and_values(sandbox, version):
    for body in served_me(sandbox, version):
        data = body["data"]
        assert set(data) <= cf.ME_FIELDS[version], data
        assert {"id", "type"} <= set(data), data
        assert data["type"] in cf.ME_TYPES
        assert body["type"] == data["type"]
        assert data.get("authorized_by", "district") in cf.AUTHORIZED_BY
        assert {link["rel"] for link in body["links"]} <= set(cf.ME_LINK_RELS)
    for link in served_links(sandbox, version):
        assert set(link) == {"rel", "uri"}
        assert link["rel"] in cf.LIST_LINK_RELS
        assert link["uri"].startswith(f"/{version}/")


def test_the_checks_catch_what_clever_forbids():
    student = {
        "id": "x",
        "district": "d",
        "school": "s",
        "schools": ["s"],
        "name": {"first": "Ana", "nickname": "Mo"},
        "sis_id": "1",
        "created": "2024-08-01",
        "last_modified": "2024-08-01T12:00:00.000Z",
        "grade": "13",
        "gender": "X",
        "dob": "2008-01-01",
        "photo": "x.png",
        "email": None,
        "race": None,
    }

    assert record_problems(student, "students", "v2.0") == [
        "v2.0 students x: photo is not a field here",
        "v2.0 students x: name: nickname is not one of its fields",
        "v2.0 students x: created: '2024-08-01' is not a date-time",
        "v2.0 students x: grade: '13' is not one of Clever's values",
        "v2.0 students x: gender: 'X' is not one of Clever's values",
        "v2.0 students x: dob: '2008-01-01' is not M/D/YYYY",
    ]
    assert record_problems({"id": "y", "name": {"first": "Ana", "last": "Lopez"}}, "students", "v2.1") == [
        "v2.1 Library students y: name: a full last name"
    ]
    assert record_problems({"id": "z", "district": "d", "name": None}, "district_admins", "v2.0") == []
    assert record_problems({"id": "z", "name": "D", "state": None}, "districts", "v2.0") == [
        "v2.0 districts z: state may not be null"
    ]


def test_v21_differences_are_served(clever_sandbox):
    v20 = served_records(clever_sandbox, "v2.0")
    v21 = served_records(clever_sandbox, "v2.1")

    district_students = [s for s in v21["students"] if "district" in s]
    assert all("enrollments" in s and "ext" in s for s in district_students)
    assert all("ext" in t for t in v21["teachers"] if "district" in t)
    assert "login_methods" in v21["districts"][0]
    assert not any("ext" in record or "enrollments" in record for kind in KINDS for record in v20[kind])


def test_the_sandboxs_roster_validator_catches_what_the_spec_forbids():
    problems = schema.validate(
        {"id": "x", "grade": "13", "gender": "X", "nickname": "Mo", "name": {"first": 1}, "dob": "2008-01-01"},
        "Student",
        version="v2.0",
    )

    assert len(problems) == 5


# --- Against Clever's published files ----------------------------------------------------------

spec_files = pytest.mark.skipif(
    not SPEC_DIR.is_dir(), reason=f"Clever's published OpenAPI files are not at {SPEC_DIR} (they are in CI)"
)


def load_definitions(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((SPEC_DIR / name).read_text(encoding="utf-8"))["definitions"]


def spec_problems(value, definition: dict, definitions: dict, path: str) -> list[str]:
    """Validate `value` against a published Swagger 2.0 definition: names, types, nullability, enums, formats."""
    if "$ref" in definition:
        target = definitions[definition["$ref"].rsplit("/", 1)[1]]
        return spec_problems(
            value, {**target, **{k: v for k, v in definition.items() if k != "$ref"}}, definitions, path
        )
    if value is None:
        return [] if definition.get("x-nullable") else [f"{path}: null is not allowed"]
    kind = definition.get("type", "object")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        properties = definition.get("properties")
        if properties is None:
            return []  # free-form (ext)
        problems = []
        for key, item in value.items():
            if key not in properties:
                problems.append(f"{path}.{key}: not in the published definition")
            else:
                problems += spec_problems(item, properties[key], definitions, f"{path}.{key}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: not an array"]
        return [
            p
            for i, item in enumerate(value)
            for p in spec_problems(item, definition["items"], definitions, f"{path}[{i}]")
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        if "enum" in definition and value not in definition["enum"]:
            return [f"{path}: {value!r} not in the published enum"]
        if definition.get("format") == "datetime" and not DATETIME.match(value):
            return [f"{path}: {value!r} is not a date-time"]
        if "pattern" in definition and not re.match(definition["pattern"], value):
            return [f"{path}: {value!r} does not match {definition['pattern']}"]
        return []
    return [f"{path}: unexpected type {kind}"]


@spec_files
@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_record_conforms_to_the_published_spec(sandbox, version):
    definitions = load_definitions(f"{version}.yml")
    records = served_records(sandbox, version)

    for kind in KINDS:
        definition = definitions[schema.KIND_DEFINITIONS[kind]]
        for record in records[kind]:
            assert spec_problems(record, definition, definitions, kind) == [], record


@spec_files
@pytest.mark.parametrize("version", VERSIONS)
def test_me_and_links_conform_to_the_published_spec(sandbox, version):
    identity = load_definitions("v2.0-identity.yml")
    definitions = load_definitions(f"{version}.yml")

    for body in served_me(sandbox, version):
        data = dict(body["data"])
        # authorized_by is v2.1's addition; Clever publishes no v2.1 identity file.
        if version == "v2.1" and "authorized_by" in data:
            assert isinstance(data.pop("authorized_by"), str)
        assert spec_problems(data, identity["Me"], identity, "me") == []
    for link in served_links(sandbox, version):
        assert spec_problems(link, definitions["Link"], definitions, "link") == []


@spec_files
@pytest.mark.parametrize("version", VERSIONS)
def test_the_transcription_matches_the_published_definitions(version):
    definitions = load_definitions(f"{version}.yml")
    identity = load_definitions("v2.0-identity.yml")

    for name, fields in schema.DEFINITIONS[version].items():
        published = (identity if name == "Me" else definitions)[name]["properties"]
        extra = {"authorized_by"} if (name, version) == ("Me", "v2.1") else set()
        assert set(fields) - extra == set(published), name
        for key, field in fields.items():
            if key in extra:
                continue
            spec = published[key]
            assert field.nullable == bool(spec.get("x-nullable")), (name, key)
            assert set(field.enum or ()) == set(spec.get("enum", ())), (name, key)
            assert (field.format == "datetime") == (spec.get("format") == "datetime"), (name, key)


@spec_files
@pytest.mark.parametrize("version", VERSIONS)
def test_the_hand_checked_lists_match_the_published_definitions(version):
    definitions = load_definitions(f"{version}.yml")

    for kind, name in schema.KIND_DEFINITIONS.items():
        published = definitions[name]["properties"]
        fields = cf.FIELDS_V20[kind] | (cf.V21_ADDED[kind] if version == "v2.1" else set())
        nullable = cf.NULLABLE_V20[kind] | (cf.NULLABLE_V21_ADDED.get(kind, set()) if version == "v2.1" else set())
        assert fields == set(published), kind
        assert nullable == {key for key, spec in published.items() if spec.get("x-nullable")}, kind
        datetimes = {key for key, spec in published.items() if spec.get("format") == "datetime"}
        assert cf.DATETIMES.get(kind, set()) == datetimes, kind
        for key, spec in published.items():
            enum = cf.ENUMS[version].get((kind, key))
            assert (set(enum) if enum else None) == (set(spec["enum"]) if "enum" in spec else None), (kind, key)
    for name, fields in (
        ("Name", cf.NAME),
        ("AdminName", cf.ADMIN_NAME),
        ("Credentials", cf.CREDENTIALS),
        ("Location", cf.LOCATION),
        ("Principal", cf.PRINCIPAL),
    ):
        assert fields == set(definitions[name]["properties"]), name
    if version == "v2.1":
        assert set(definitions["SchoolEnrollment"]["properties"]) == cf.SCHOOL_ENROLLMENT
    identity = load_definitions("v2.0-identity.yml")
    assert cf.ME_FIELDS["v2.0"] == set(identity["Me"]["properties"])
    assert set(cf.LIST_LINK_RELS) == set(definitions["Link"]["properties"]["rel"]["enum"])
