"""
Bulk upserts keyed on `clever_id`, in chunks of a fixed size: the one way synced rows are written.

The writers of synced tables (`rosters.teachers` for Teacher, `rosters.sync.rows` for the
rest) call `upsert_by_clever_id` with their own rows; it writes nothing of its own accord.
It lives below both so that neither has to import the other. Every statement handles at
most `CHUNK` rows, so a teacher's sync is one chunk and a whole district's is a few: the
number of statements grows with chunks, never with rows, and no statement goes past a
database's limit on bound parameters. On PostgreSQL a chunk is written from one array per
column (`unnest`) when it can be, the statement bulk_create would write without a model
object per row (measured by `make bench-district`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

from django.db import connection
from django.utils import timezone

T = TypeVar("T")

# Rows per statement. SQLite 3.32+ allows 32,766 bound parameters (Debian's build 250,000);
# PostgreSQL binds on the client. An upsert of 10,000 students binds 60,000 values.
CHUNK = 10_000


@dataclass
class SyncCounts:
    """Rows changed by one sync: sections, students and enrollments (and teachers' profiles)."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    restored: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.removed + self.restored

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Yield `values` in lists of at most `size`, in their order."""
    values = values if isinstance(values, Sequence) else list(values)
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def upsert_by_clever_id(
    model,
    rows: Mapping[str, dict[str, str]],
    counts: SyncCounts,
    *,
    insert_only: Mapping[str, object] | None = None,
) -> dict[str, int]:
    """Insert new rows and update changed ones (values keyed by field name); return clever id -> pk.

    Rows Clever did not change are not written, so an unchanged sync writes nothing.
    `insert_only` values are given to new rows and never change an existing one.
    """
    fields = list(next(iter(rows.values()), {}))
    existing = {}
    for part in chunks(sorted(rows)):
        existing.update(
            (row[0], row[1:])
            for row in model.objects.filter(clever_id__in=part).values_list("clever_id", "pk", *fields)
        )
    pks = {clever_id: row[0] for clever_id, row in existing.items()}
    new = [clever_id for clever_id in rows if clever_id not in existing]
    changed = [
        clever_id for clever_id, current in existing.items() if tuple(current[1:]) != tuple(rows[clever_id].values())
    ]
    counts.created += len(new)
    counts.updated += len(changed)
    # One lock order for every sync: no deadlocks between syncs.
    write = _write_unnest if _unnest_can_write(model, [*fields, *(insert_only or {})]) else _write_objects
    for part in chunks(sorted([*new, *changed])):
        pks.update(write(model, {clever_id: rows[clever_id] for clever_id in part}, fields, insert_only or {}))
    return pks


def _write_objects(model, rows: Mapping[str, dict], fields: list[str], insert_only: Mapping) -> Iterable:
    """Upsert one chunk with bulk_create; yield (clever id, pk)."""
    written = model.objects.bulk_create(
        [model(clever_id=clever_id, **values, **insert_only) for clever_id, values in rows.items()],
        update_conflicts=True,
        unique_fields=["clever_id"],
        update_fields=[*fields, "updated_at"],
    )
    return ((row.clever_id, row.pk) for row in written)


def _unnest_can_write(model, fields: list[str]) -> bool:
    """Say whether `_write_unnest` can write these fields of `model`: PostgreSQL, and no other column needs a value."""
    if connection.vendor != "postgresql":
        return False
    given = {"clever_id", "created_at", "updated_at", *fields}
    return all(f.null or f.name in given for f in model._meta.concrete_fields if not f.primary_key)


def _write_unnest(model, rows: Mapping[str, dict], fields: list[str], insert_only: Mapping) -> Iterable:
    """Upsert one chunk on PostgreSQL from one array per column; yield (clever id, pk).

    The same statement bulk_create writes, without a model object per row: for a district's
    30,000 students, building those objects and their SQL cost more than PostgreSQL's own
    work (docs/benchmarks.md#make-bench-district-a-whole-district).
    """
    meta, quote = model._meta, connection.ops.quote_name
    columns = ["clever_id", *fields]
    arrays = ", ".join(f"%s::{meta.get_field(name).db_type(connection)}[]" for name in columns)
    constants = [*insert_only, "created_at", "updated_at"]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, [*columns, *constants]))}) "  # noqa: S608
        f"SELECT *, {', '.join(['%s'] * len(constants))} FROM unnest({arrays}) "
        f"ON CONFLICT ({quote('clever_id')}) DO UPDATE SET "
        + ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in [*fields, "updated_at"])
        + f" RETURNING {quote('clever_id')}, {quote(meta.pk.column)}"
    )
    now = timezone.now()
    params = [list(rows), *([values[name] for values in rows.values()] for name in fields)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*insert_only.values(), now, now, *params])  # in the order the SQL names them
        return cursor.fetchall()


def pks_by_clever_id(model, clever_ids: Iterable[str]) -> dict[str, int]:
    """Return clever id -> primary key of the rows that exist among these clever ids."""
    pks = {}
    for part in chunks(sorted(set(clever_ids))):
        pks.update(model.objects.filter(clever_id__in=part).values_list("clever_id", "pk"))
    return pks
