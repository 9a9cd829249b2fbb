"""
Every record the sandbox serves conforms to Clever's definitions.

First against the project's transcription (`sandbox.schema`), always; then, when Clever's
published OpenAPI files sit beside the repository (``../shared/clever-spec/``, as in CI),
directly against those files, read with PyYAML.
"""

import re
from pathlib import Path

import pytest

from sandbox import schema
from sandbox.roster import KINDS

from .conformance import VERSIONS, served_links, served_me, served_records, stretch_roster

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "clever-spec"


@pytest.fixture(params=[False, True], ids=["demo", "stretched"])
def sandbox(request, clever_sandbox):
    if request.param:
        stretch_roster(clever_sandbox)
    return clever_sandbox


# --- Against the transcription ----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_record_conforms_to_the_transcribed_definitions(sandbox, version):
    records = served_records(sandbox, version)

    for kind in KINDS:
        assert records[kind], kind
        for record in records[kind]:
            assert schema.validate(record, schema.KIND_DEFINITIONS[kind], version=version) == [], record


@pytest.mark.parametrize("version", VERSIONS)
def test_me_and_links_conform_to_the_transcribed_definitions(sandbox, version):
    for body in served_me(sandbox, version):
        assert schema.validate(body["data"], "Me", version=version) == []
        assert body["type"] == body["data"]["type"]
    for link in served_links(sandbox, version):
        assert schema.validate(link, "Link", version=version) == []


def test_v21_differences_are_served(clever_sandbox):
    v20 = served_records(clever_sandbox, "v2.0")
    v21 = served_records(clever_sandbox, "v2.1")

    district_students = [s for s in v21["students"] if "district" in s]
    assert all("enrollments" in s and "ext" in s for s in district_students)
    assert all("ext" in t for t in v21["teachers"] if "district" in t)
    assert "login_methods" in v21["districts"][0]
    assert not any("ext" in record or "enrollments" in record for kind in KINDS for record in v20[kind])


def test_the_validator_catches_what_the_spec_forbids():
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
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


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
