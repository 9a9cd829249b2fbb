"""The product's modules import one another without cycles, and rosters' imports point down.

Read from the source (tests/imports.py), so an import hidden in a function, which only
runs late and so hides a cycle until the day it does not, counts like any other.
"""

from pathlib import Path

from .imports import import_cycles, product_imports, product_packages

ROOT = Path(__file__).resolve().parent.parent

# rosters' floors, lowest first (docs/architecture.md): a module imports only from floors below its own.
ROSTERS_FLOORS = [
    ["rosters.names", "rosters.labels"],
    ["rosters.clever.errors"],
    ["rosters.clever.records"],
    ["rosters.clever.http"],
    ["rosters.clever.client", "rosters.clever.oauth"],
    ["rosters.clever"],
    ["rosters.fields", "rosters.failures"],
    ["rosters.models"],
    ["rosters.upserts"],
    ["rosters.selectors"],
    ["rosters.teachers", "rosters.throttle", "rosters.sync.rows", "rosters.districts"],
    ["rosters.sync.teacher", "rosters.sync.district"],
    ["rosters.services"],
    ["rosters.job_runner"],
    ["rosters.tasks"],
    ["rosters.jobs"],
    [
        "rosters.admin.common",
        "rosters.views",
        "rosters.templatetags.rosters",
        "rosters.management.commands.sync_rosters",
    ],
    ["rosters.admin.roster", "rosters.admin.syncs", "rosters.admin.districts"],
    ["rosters.admin"],
    ["rosters.urls"],
]


def test_the_product_packages_are_all_read():
    assert {"accounts", "cleverproject", "onboarding", "rosters", "sandbox"} <= set(product_packages(ROOT))
    assert {"tests", "benchmarks"} & set(product_packages(ROOT)) == set()


def test_no_product_module_is_part_of_an_import_cycle():
    assert import_cycles(product_imports(ROOT)) == []


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    package = tmp_path / "rosters"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text("def sync():\n    from .jobs import enqueue  # late, so it 'works'\n")
    (package / "jobs.py").write_text("from rosters import services\n")
    (package / "views.py").write_text("from . import jobs, services\n")

    assert import_cycles(product_imports(tmp_path)) == [["rosters.jobs", "rosters.services"]]


def test_rosters_modules_import_only_from_the_floors_below_them():
    floor_of = {module: floor for floor, modules in enumerate(ROSTERS_FLOORS) for module in modules}
    upward, unplaced = [], set()
    for edge in product_imports(ROOT):
        if not edge.importer.startswith("rosters.") or ".migrations" in edge.importer:
            continue
        if not edge.imported.startswith("rosters."):
            continue
        if edge.importer not in floor_of:
            unplaced.add(edge.importer)
        elif floor_of.get(edge.imported, -1) >= floor_of[edge.importer]:
            upward.append(f"{edge.importer}:{edge.line} imports {edge.imported}")

    assert sorted(unplaced) == [], "place each new module on a floor of ROSTERS_FLOORS"
    assert upward == []
