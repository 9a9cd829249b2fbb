"""
Clever's cursor pagination for district-app tokens.

Records come in ascending id order. `limit` (default 100, at most 10,000; more is a 413),
`starting_after=<id>` and `ending_before=<id>` pick a page; `links` carry `self`, and
`next` / `prev` cursors. With the `paging_quirks` option on (the default), a page reached
with `starting_after` always has a `prev` link and one reached with `ending_before` always
a `next` link, even when nothing is there: following it gives `"data": []`, as Clever
documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from .roster import page_bounds

PAGING_PARAMS = ("limit", "starting_after", "ending_before")


class PagingError(Exception):
    """The paging parameters are wrong; `status` is 400 or 413."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Page:
    ids: list[str]
    links: list[dict]


def has_paging_params(query: dict) -> bool:
    return any(key in query for key in PAGING_PARAMS)


def paginate(ids: list[str], *, path: str, query_string: str, options) -> Page:
    """Return one page of sorted `ids` and its links, for a request of `path` with `query_string`."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    query = dict(pairs)
    limit = _limit(query.get("limit"), default=options.default_page_size, maximum=options.max_page_size)
    after, before = query.get("starting_after") or None, query.get("ending_before") or None
    if after and before:
        raise PagingError(400, "Use starting_after or ending_before, not both")
    start, end = page_bounds(ids, starting_after=after, ending_before=before)
    if before:
        start = max(start, end - limit)
    else:
        end = min(end, start + limit)
    page = ids[start:end]
    keep = [(key, value) for key, value in pairs if key not in ("starting_after", "ending_before")]

    def link(rel: str, cursor: tuple[str, str] | None = None) -> dict:
        params = [*keep, cursor] if cursor else pairs
        return {"rel": rel, "uri": f"{path}?{urlencode(params)}" if params else path}

    links = [link("self")]
    if page:
        more_after = end < len(ids)
        more_before = start > 0
        if more_after or (before and options.paging_quirks):
            links.append(link("next", ("starting_after", page[-1])))
        if (after or before) and (more_before or (after and options.paging_quirks)):
            links.append(link("prev", ("ending_before", page[0])))
    return Page(ids=page, links=links)


def _limit(raw: str | None, *, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise PagingError(400, f"limit must be a whole number, got {raw!r}") from None
    if limit < 1:
        raise PagingError(400, "limit must be at least 1")
    if limit > maximum:
        raise PagingError(413, f"limit may be at most {maximum}")
    return limit
