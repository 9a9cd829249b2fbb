"""People's and classes' names as teachers read them: sorted as people expect, and told apart.

Databases sort text by their own collation: SQLite by character code (so "Ångström" comes
after "Zoë"), PostgreSQL by whatever the server was set up with. Lists a teacher reads are
sorted here instead, in Python, with one key that gives the same order on every database:
letters compare without their accents and case ("Émile" with the E's), and letters that
Unicode does not split into a base letter and an accent ("Ø", "Æ", "ß", "Ł") with the base
letters people file them under. Other scripts keep their own letters, after Latin ones.
"""

from __future__ import annotations

import unicodedata

# Letters with no decomposition, filed as the letters English-speaking readers expect.
_FOLDS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ß": "ss",
        "ẞ": "ss",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "Ħ": "h",
    }
)


def collation_key(text: str) -> str:
    """Return the key that sorts `text` as people expect: accents and case set aside ("Ångström" -> "angstrom")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLDS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def person_sort_key(*, first_name: str, last_name: str, middle_name: str = "", tiebreak: object = "") -> tuple:
    """Sort people by last, first, then middle name, as people expect; exact spelling, then `tiebreak`, last."""
    return (
        collation_key(last_name),
        collation_key(first_name),
        collation_key(middle_name),
        last_name,
        first_name,
        middle_name,
        tiebreak,
    )


def is_initial(name: str) -> bool:
    """Say whether a last name is only an initial ("B" or "B."), as Clever Library students' are."""
    return len(name.rstrip(".")) == 1


def student_name(*, first_name: str, last_name: str) -> str:
    """Return a student's name as a class list shows it: "Rodríguez, Maya", or "Isabella B." for an initial."""
    if is_initial(last_name):
        return f"{first_name} {last_name.rstrip('.')}." if first_name else f"{last_name.rstrip('.')}."
    if first_name and last_name:
        return f"{last_name}, {first_name}"
    return first_name or last_name


def matches(query: str, text: str) -> bool:
    """Say whether `text` contains `query`, accents and case aside (a class list's filter box)."""
    return collation_key(query.strip()) in collation_key(text)
