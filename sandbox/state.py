"""
The sandbox's state: one process-wide `Sandbox`, in memory, thread-safe, never in the database.

Tests use it through the `clever_sandbox` fixture (``clever_sandbox.state``) or
``get_sandbox()``; a separate sandbox process is driven through ``/_control/`` instead
(see `sandbox.control`). Everything a test changes is undone by `reset()`.

    sandbox = get_sandbox()
    sandbox.reset()                                   # demo data (or CLEVER_SANDBOX_DATA), no faults
    token = sandbox.user_token(TEACHER_ID)            # what the OAuth flow would give that teacher
    sandbox.remove_student_from_section(STUDENT_ID, SECTION_ID)
    sandbox.add_fault("/v2.0/sections/*/students", 503, skip=2, times=1)
    sandbox.count_calls("/v2.0/sections/*/students")
    sandbox.set_clock(lambda: 1_800_000_000.0)        # rate-limit windows, codes, calls and events read it

Every change to the roster (`load`, the methods under "Changing the roster", `mutate`,
`reload`) is recorded as events in the districts' Events API feeds (`sandbox.events`,
docs/sandbox-events.md), stamped by `clock`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import conf, tokens
from .diff import roster_changes
from .events import Event, EventLog, Feed
from .faults import Fault
from .generate import roster_mutate
from .options import Options
from .roster import KINDS, TIMESTAMPED, USER_TYPES, Roster, RosterError, is_library, timestamp_at

MAX_CALLS = 100_000  # recorded calls kept; older ones drop off


@dataclass(frozen=True)
class Identity:
    """Who a bearer token belongs to: a district (district-app token) or a user (SSO token)."""

    kind: str  # "district" or "user"
    id: str
    user_kind: str = ""  # for users: "teachers", "students", "school_admins", "district_admins"

    @property
    def is_district(self) -> bool:
        return self.kind == "district"


@dataclass
class Call:
    """One request the sandbox answered: what tests count. Never holds a token or code."""

    method: str
    path: str  # relative to the sandbox base, e.g. /v2.0/sections/<id>/students
    query: str  # the query string (paging parameters; never credentials)
    token_kind: str  # "district", "user", "client" (HTTP Basic), "invalid" or "none"
    status: int | None = None
    at: float = field(default_factory=time.time)  # the sandbox's clock when it arrived


@dataclass(frozen=True)
class RateWindow:
    limit: int
    remaining: int
    reset: int  # Unix seconds when the window ends
    allowed: bool


@dataclass
class _Code:
    user_id: str
    client_id: str
    redirect_uri: str
    expires_at: float


class CodeError(Exception):
    """An authorization code cannot be redeemed; the message is the OAuth error_description."""


class Sandbox:
    """The local Clever: roster, codes, faults, rate-limit windows, options and recorded calls."""

    def __init__(self):
        # Hold `lock` to read several things consistently (the API does while it builds a page).
        self.lock = threading.RLock()
        self._roster: Roster | None = None
        self._token_index: dict[str, Identity] | None = None
        self._codes: dict[str, _Code] = {}
        self._faults: list[Fault] = []
        self._windows: dict[str, list[int]] = {}
        self._calls: deque[Call] = deque(maxlen=MAX_CALLS)
        self._revoked: set[str] = set()
        self._data_path: Path | None = None
        self._redirect_uris: list[str] | None = None
        self.options = Options()
        # Unix seconds now: rate-limit windows, code lifetimes, call times, events and changed
        # records. Tests inject a fixed one.
        self.clock: Callable[[], float] = time.time
        self.events = EventLog()
        self._baseline: dict[str, dict[str, dict]] = {}  # the records as of the last recorded change

    # --- Configuration and reset ---------------------------------------------------------

    def configure(self, *, data_path: str | Path | None = None, redirect_uris: list[str] | None = None) -> None:
        """Override CLEVER_SANDBOX_DATA and CLEVER_SANDBOX_REDIRECT_URIS for this process (survives reset)."""
        with self.lock:
            self._data_path = Path(data_path) if data_path else None
            self._redirect_uris = list(redirect_uris) if redirect_uris is not None else None

    def reset(self) -> None:
        """Reload the configured roster and forget codes, faults, calls, rate-limit windows, options and clock.

        Raise RosterError (and keep serving the previous roster) when the roster file is not valid.
        """
        roster = load_roster_file(self.data_path)
        with self.lock:
            self._set_roster(roster)
            self._codes.clear()
            self._release_faults(answer=False)
            self._faults.clear()
            self._windows.clear()
            self._calls.clear()
            self._revoked.clear()
            self.options = Options()
            self.clock = time.time
            self.events = EventLog()

    def load(self, roster: dict | Roster, *, source: str = "the roster") -> list[Event]:
        """Serve another roster (a dict in the roster format); codes for vanished users stop working.

        Return the events recording what changed in the districts served before and after.
        """
        if not isinstance(roster, Roster):
            roster = Roster(roster, source=source)
        with self.lock:
            events = self._record_changes(self.roster.records, roster.records)
            self._set_roster(roster)
            return events

    def reload(self) -> list[Event]:
        """Serve the configured roster file again, recording what changed in it as events (reset() records none)."""
        return self.load(load_roster_file(self.data_path))

    def mutate(self, *, changes: int, seed: int = 0) -> list[Event]:
        """Apply `changes` random changes to the roster served (`generate.roster_mutate`); return the events."""
        with self.lock:
            changed = roster_mutate(self.roster.to_dict(), changes=changes, seed=seed, modified=self._timestamp())
            return self.load(changed, source="the changed roster")

    @property
    def data_path(self) -> Path:
        return self._data_path or conf.data_path()

    def redirect_uris(self) -> list[str]:
        """Return the configured redirect URIs (empty: derived from each request)."""
        if self._redirect_uris is not None:
            return list(self._redirect_uris)
        return conf.configured_redirect_uris()

    @property
    def roster(self) -> Roster:
        """The roster being served. Read it freely; change it only through the methods below."""
        with self.lock:
            if self._roster is None:
                self._set_roster(load_roster_file(self.data_path))
            return self._roster

    def _set_roster(self, roster: Roster) -> None:
        self._roster = roster
        self._token_index = None
        self._baseline = _snapshot(roster)

    def set_options(self, **changes) -> None:
        """Change behaviour options (see `sandbox.options.Options`), e.g. set_options(rate_limit=5)."""
        with self.lock:
            self.options.update(**changes)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Tell the time by `clock` (Unix seconds) until the next reset: set_clock(lambda: 1725264000.0)."""
        with self.lock:
            self.clock = clock

    def _timestamp(self) -> str:
        return timestamp_at(self.clock())

    # --- Tokens -------------------------------------------------------------------------

    def user_token(self, user_id: str) -> str:
        """Return the SSO token the OAuth flow gives this teacher, student or admin."""
        if not self._user_kind(user_id):
            raise RosterError(f"{user_id} is not a teacher, student or admin of the roster")
        return tokens.user_token(user_id)

    def district_token(self, district_id: str) -> str:
        """Return the district-app token of a roster district."""
        if self.roster.get("districts", district_id) is None:
            raise RosterError(f"{district_id} is not a district of the roster")
        return tokens.district_token(district_id)

    def identify(self, token: str) -> Identity | None:
        """Return whom a bearer token belongs to, or None when it is unknown or revoked."""
        with self.lock:
            if token in self._revoked:
                return None
            if self._token_index is None:
                self._token_index = self._build_token_index()
            return self._token_index.get(token)

    def revoke_token(self, token: str) -> None:
        """Make a token answer 401 from now on (a district disconnecting, a user revoking access)."""
        with self.lock:
            self._revoked.add(token)

    def _build_token_index(self) -> dict[str, Identity]:
        roster = self.roster
        index = {tokens.district_token(i): Identity("district", i) for i in roster.ids("districts")}
        for kind in USER_TYPES:
            for user_id in roster.ids(kind):
                index[tokens.user_token(user_id)] = Identity("user", user_id, kind)
        return index

    def _user_kind(self, user_id: str) -> str:
        found = self.roster.find(user_id)
        return found[0] if found and found[0] in USER_TYPES else ""

    # --- Authorization codes ------------------------------------------------------------

    def issue_code(self, user_id: str, *, redirect_uri: str, client_id: str | None = None) -> str:
        """Return a fresh single-use code for a user, bound to the client and redirect URI."""
        if not self._user_kind(user_id):
            raise RosterError(f"{user_id} is not a teacher, student or admin of the roster")
        code = tokens.new_code()
        with self.lock:
            self._codes[code] = _Code(
                user_id=user_id,
                client_id=client_id or conf.client_credentials()[0],
                redirect_uri=redirect_uri,
                expires_at=self.clock() + self.options.code_lifetime,
            )
        return code

    def redeem_code(self, code: str, *, client_id: str, redirect_uri: str) -> str:
        """Use up a code and return its user's id; raise CodeError when it cannot be used."""
        with self.lock:
            issued = self._codes.pop(code, None)  # single use: gone even when the checks fail
        if issued is None:
            raise CodeError("invalid code: unknown, or already used")
        if self.clock() >= issued.expires_at:
            raise CodeError("invalid code: expired")
        if issued.client_id != client_id:
            raise CodeError("invalid code: issued to another client")
        if issued.redirect_uri != redirect_uri:
            raise CodeError("redirect_uri does not match the one the code was issued for")
        if not self._user_kind(issued.user_id):
            raise CodeError("invalid code: the user is no longer shared")
        return issued.user_id

    def expire_codes(self) -> None:
        """Make every outstanding code expired (as if a minute had passed)."""
        with self.lock:
            for issued in self._codes.values():
                issued.expires_at = 0.0

    # --- Faults -------------------------------------------------------------------------

    def add_fault(self, path: str, kind: int | str, **details) -> Fault:
        """Make requests matching `path` fail; see `sandbox.faults.Fault` for `details`.

        add_fault("/v2.0/sections/*/students", 503, skip=2, times=1)  # the 3rd such call fails
        add_fault("/v2.0/teachers/*", "slow", delay=2.5)
        add_fault("/v2.0/**", 429, reset_in=1, times=None)
        add_fault("/v2.0/**", 401, owner=TEACHER_ID, times=None)  # only that teacher's token
        add_fault("/v2.0/teachers/*", 429, headers={"Retry-After": "soon"})
        """
        fault = Fault(path=path, kind=str(kind), **details)
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault; requests a "hang" holds are answered now."""
        with self.lock:
            self._release_faults()
            self._faults.clear()

    def _release_faults(self, *, answer: bool = True) -> None:
        for fault in self._faults:
            fault.release(answer=answer)

    @property
    def faults(self) -> list[Fault]:
        """The faults added since the last reset, spent ones included (see `Fault.active`)."""
        with self.lock:
            return list(self._faults)

    def take_fault(self, method: str, path: str, *, owner: str = "") -> Fault | None:
        """Count a request against every matching fault; return the first that fires for it.

        `owner` is the Clever id the request's bearer token belongs to ("" when none).
        """
        fired = None
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, path, owner=owner) and fault.observe() and fired is None:
                    fired = fault
        return fired

    # --- Rate limit ---------------------------------------------------------------------

    def hit_rate_limit(self, token: str) -> RateWindow:
        """Count one request against a token's fixed window and say whether it may proceed."""
        now = self.clock()
        with self.lock:
            limit, window = self.options.rate_limit, self.options.rate_limit_window
            start = int(now // window) * window
            current = self._windows.get(token)
            if current is None or current[0] != start:
                current = self._windows[token] = [start, 0]
            current[1] += 1
            allowed = current[1] <= limit
            return RateWindow(limit=limit, remaining=max(0, limit - current[1]), reset=start + window, allowed=allowed)

    # --- Recorded calls -----------------------------------------------------------------

    def record_call(self, call: Call) -> Call:
        with self.lock:
            self._calls.append(call)
        return call

    @property
    def calls(self) -> list[Call]:
        """The requests answered since the last reset or clear_calls(), oldest first."""
        with self.lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self.lock:
            self._calls.clear()

    def count_calls(self, path: str = "/**", *, method: str = "", token_kind: str = "") -> int:
        """Return how many recorded calls match a path pattern (as for faults), method and token kind."""
        probe = Fault(path=path, kind="500", method=method)
        return sum(
            1
            for call in self.calls
            if probe.matches(call.method, call.path) and (not token_kind or call.token_kind == token_kind)
        )

    # --- Reading the roster -------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> dict | None:
        """Return a copy of one record, or None: get("teachers", TEACHER_ID)."""
        with self.lock:
            record = self.roster.get(kind, record_id)
            return json.loads(json.dumps(record)) if record is not None else None

    def users(self, *, district_id: str = "") -> list[dict]:
        """Return everyone who can sign in: {id, type, name, district, schools, library}, by kind then name."""
        with self.lock:
            roster = self.roster
            found = []
            for kind, user_type in USER_TYPES.items():
                ids = roster.in_district(kind, district_id) if district_id else roster.ids(kind)
                for user_id in ids:
                    record = roster.get(kind, user_id)
                    name = record.get("name") or {}
                    found.append(
                        {
                            "id": user_id,
                            "type": user_type,
                            "kind": kind,
                            "name": " ".join(p for p in (name.get("first"), name.get("last")) if p),
                            "district": record.get("district") or "",
                            "schools": roster.schools_of(record),
                            "library": kind in ("teachers", "students") and is_library(record),
                        }
                    )
            return found

    # --- Changing the roster ------------------------------------------------------------

    def add(self, kind: str, record: dict) -> dict:
        """Add a record in the roster format: add("students", {"id": ..., "name": {...}, ...})."""
        with self.lock:
            if self.roster.get(kind, record.get("id", "")) is not None:
                raise RosterError(f"{kind} {record['id']} is already in the roster")
            stored = self.roster.put(kind, record)
            self._changed(kind)
            return dict(stored)

    def update(self, kind: str, record_id: str, **changes) -> dict:
        """Change fields of a record: update("teachers", TEACHER_ID, email="new@example.org")."""
        with self.lock:
            roster = self.roster
            old = roster.get(kind, record_id)
            if old is None:
                raise RosterError(f"no {kind} record with id {record_id}")
            if changes.get("id", record_id) != record_id:
                raise RosterError("a record's id cannot change")
            stamp = {"last_modified": self._timestamp()} if kind in TIMESTAMPED and old.get("district") else {}
            record = {**old, **stamp, **changes}
            if kind in ("teachers", "students") and "school" in changes and "schools" not in changes:
                record["schools"] = [changes["school"]] if changes["school"] else []
            stored = roster.put(kind, record)
            problems = self._member_problems(kind, record_id)
            if problems:
                roster.put(kind, old)
                raise RosterError(f"{kind} {record_id}: " + "; ".join(problems))
            self._changed(kind)
            return dict(stored)

    def remove(self, kind: str, record_id: str) -> dict:
        """Remove a record (Clever stops sharing it); a teacher or student also leaves their sections."""
        with self.lock:
            removed = self.roster.delete(kind, record_id, stamp=self._timestamp())
            self._changed(kind)
            return removed

    def add_section(self, record: dict) -> dict:
        """Add a section: add_section({"id": ..., "name": ..., "district": ..., "school": ..., "teachers": [...]})."""
        return self.add("sections", record)

    def add_student_to_section(self, student_id: str, section_id: str) -> dict:
        """Enroll a student in a section; return the section."""
        with self.lock:
            section = self._section(section_id)
            if student_id in section["students"]:
                return dict(section)
            return self.update("sections", section_id, students=[*section["students"], student_id])

    def remove_student_from_section(self, student_id: str, section_id: str) -> dict:
        """Drop a student from a section (the student stays in the roster); return the section."""
        with self.lock:
            section = self._section(section_id)
            if student_id not in section["students"]:
                raise RosterError(f"student {student_id} is not in section {section_id}")
            return self.update("sections", section_id, students=[i for i in section["students"] if i != student_id])

    def move_student(self, student_id: str, from_section_id: str, to_section_id: str) -> None:
        """Move a student from one section to another."""
        with self.lock:
            self.remove_student_from_section(student_id, from_section_id)
            self.add_student_to_section(student_id, to_section_id)

    def share_teacher_with_district(self, teacher_id: str, *, district_id: str, school_id: str) -> None:
        """Turn a Library teacher into a district-shared one, with their sections and students."""
        with self.lock:
            roster = self.roster
            section_ids = list(roster.sections_of("teachers", teacher_id))
            moving = {
                "sections": set(section_ids),
                "students": {s for i in section_ids for s in roster.get("sections", i)["students"]},
                "teachers": {t for i in section_ids for t in roster.get("sections", i)["teachers"]} | {teacher_id},
            }
            before = {kind: {i: roster.get(kind, i) for i in ids} for kind, ids in moving.items()}
            where = {"district": district_id, "school": school_id, "last_modified": self._timestamp()}
            for kind, ids in moving.items():
                for record_id in ids:
                    record = {**roster.get(kind, record_id), **where}
                    if kind != "sections":
                        record["schools"] = [school_id]
                    roster.records[kind][record_id] = record
            roster.reindex()
            touched = {
                i for kind in ("teachers", "students") for m in moving[kind] for i in roster.sections_of(kind, m)
            }
            problems = [p for i in sorted(touched) for p in roster.check("sections", roster.get("sections", i))]
            problems += [
                p
                for kind in ("teachers", "students")
                for i in moving[kind]
                for p in roster.check(kind, roster.get(kind, i))
            ]
            if problems:
                for kind, records in before.items():
                    roster.records[kind].update(records)
                roster.reindex()
                raise RosterError("cannot share this teacher with the district: " + "; ".join(problems[:10]))
            self._changed("teachers")

    def _section(self, section_id: str) -> dict:
        section = self.roster.get("sections", section_id)
        if section is None:
            raise RosterError(f"no section with id {section_id}")
        return section

    def _member_problems(self, kind: str, record_id: str) -> list[str]:
        """Return problems a changed teacher or student causes in their sections."""
        if kind not in ("teachers", "students"):
            return []
        roster = self.roster
        return [
            f"section {section_id}: {problem}"
            for section_id in roster.sections_of(kind, record_id)
            for problem in roster.check("sections", roster.get("sections", section_id))
        ]

    def _changed(self, kind: str) -> None:
        self.roster.reindex()
        if kind in USER_TYPES or kind == "districts":
            self._token_index = None
        self._record_changes(self._baseline, self.roster.records)
        self._baseline = _snapshot(self.roster)

    # --- Events -------------------------------------------------------------------------

    def _record_changes(self, old: dict, new: dict) -> list[Event]:
        """Record what changed between two states of the records in the districts of both."""
        for district_id in old["districts"].keys() - new["districts"].keys():
            self.events.drop_district(district_id)
        options = self.options
        if not options.events_enabled:
            return []
        # A district new to the roster starts sharing with what it has: its full sync reads that.
        districts = {
            i for i in new["districts"] if i in old["districts"] and i not in options.events_disabled_districts
        }
        changes = roster_changes(old, new, districts=districts)
        return self.events.record(changes, at=self.clock()) if changes else []

    def events_feed(self, district_id: str) -> Feed:
        """Return a district's feed, without the events older than the `events_window_days` option."""
        with self.lock:
            days = self.options.events_window_days
            if days:
                self.events.forget(before=self.clock() - days * 86400, district_id=district_id)
            return self.events.feed(district_id)

    def forget_events(self, *, through: str = "", older_than: str | float | None = None, district_id: str = "") -> int:
        """Forget events, as Clever does after 30 days; return how many were forgotten.

        Those up to and including id `through`, or older than `older_than` (Unix seconds or a
        timestamp like 2024-09-02T08:00:00Z), or all; in one district's feed, or in every feed.
        """
        if isinstance(older_than, str):
            try:
                moment = datetime.fromisoformat(older_than.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"older_than {older_than!r} is not a timestamp like 2024-09-02T08:00:00Z") from None
            older_than = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        with self.lock:
            return self.events.forget(through=through, before=older_than, district_id=district_id)


# --- Loading roster files ---------------------------------------------------------------


def _snapshot(roster: Roster) -> dict[str, dict[str, dict]]:
    """Return the roster's records as they are now (new dicts of the same, never-edited records)."""
    return {kind: dict(records) for kind, records in roster.records.items()}


_file_cache: dict[tuple, str] = {}
_file_cache_lock = threading.Lock()


def load_roster_file(path: str | Path) -> Roster:
    """Read and validate a roster JSON file; raise RosterError naming the file and the problem."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RosterError(f"cannot read the sandbox roster {path}: {exc.strerror}") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _file_cache_lock:
        text = _file_cache.get(key)
    trusted = text is not None
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RosterError(f"cannot read the sandbox roster {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RosterError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    roster = Roster(data, source=str(path), checked=trusted)
    with _file_cache_lock:
        # One file at a time is plenty: tests switch between the demo data and one other file.
        _file_cache.clear()
        _file_cache[key] = text
    return roster


_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def get_sandbox() -> Sandbox:
    """Return the process-wide sandbox (created on first use; its roster loads lazily)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            _sandbox = Sandbox()
        return _sandbox


__all__ = ["KINDS", "Call", "CodeError", "Identity", "RosterError", "Sandbox", "get_sandbox", "load_roster_file"]
