"""Find a literal string anywhere in the database: every column of every table, read as text."""

from django.db import connection


def rows_holding(*needles: str) -> list[str]:
    """Return "table.column: needle" for each column where some row's value, as text, contains a needle."""
    position = "strpos({column}, %s)" if connection.vendor == "postgresql" else "instr({column}, %s)"
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                as_text = f"CAST({connection.ops.quote_name(column.name)} AS TEXT)"
                for needle in needles:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608 - names from introspection
                        f"WHERE {position.format(column=as_text)} > 0",
                        [needle],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name}: {needle}")
    return found
