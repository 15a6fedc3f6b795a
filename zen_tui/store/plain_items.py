"""Sections' stored items read without msgspec: the SQL the Store (store/items.py) and
`zen-tui list`'s quick lane (cli._quick) share, and a reader of a stored item row as plain
JSON, checked against the description store/codec.py gives of its typed decode
(codec.plain_schema, kept with the config's facts).

The reader takes only a row the typed decode takes as it is, and makes of it what
msgspec.to_builtins makes of the decoded item: a missing field's default filled in, unknown
keys dropped, fields in the model's order, arrays as lists. Anything else (not JSON, a key
twice, NaN, a missing required field, a value of another type, a kind it does not know, a
row that is not text) is NotAsIs: the caller declines and the typed path reads the store, so
a row it would skip is skipped, and logged, there. It accepts less than msgspec (never more):
the description covers str, int, bool, null, string literals, arrays, Structs and unions of
those, one of each JSON kind; codec.plain_schema gives none for models with anything else.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any

# newest-updated first, ties as saved
IN_ORDER = "WHERE section_id = ? ORDER BY sort_key DESC, rowid"
CHUNK = 500  # rows read (and decoded) at once: 10,000 items are never all held


def fetched_at(db: sqlite3.Connection, section_id: str) -> float | None:
    """When the section was last fetched, as the store recorded it."""
    row = db.execute("SELECT fetched_at FROM sections WHERE section_id = ?", (section_id,))
    found = row.fetchone()
    at: float | None = None if found is None else found[0]
    return at


def reason(db: sqlite3.Connection, section_id: str) -> str | None:
    """Why the section's last sync was not live; None when it was."""
    row = db.execute("SELECT reason FROM sections WHERE section_id = ?", (section_id,))
    found = row.fetchone()
    return None if found is None or found[0] is None else str(found[0])


def section_chunks(
    read: Callable[[], AbstractContextManager[sqlite3.Connection]],
    section_id: str,
    size: int = CHUNK,
) -> Iterator[list[Any]]:
    """The section's stored item texts in order (IN_ORDER), `size` at a time, each chunk read
    in a `read()` of its own (the Store's lock is held for one chunk only)."""
    with read() as db:
        order = [r[0] for r in db.execute(f"SELECT rowid FROM items {IN_ORDER}", (section_id,))]
    for start in range(0, len(order), size):
        ids = order[start : start + size]
        marks = ",".join("?" * len(ids))
        with read() as db:  # only placeholders are interpolated
            found = dict(db.execute(f"SELECT rowid, data FROM items WHERE rowid IN ({marks})", ids))
        yield [found[i] for i in ids if i in found]


class NotAsIs(Exception):
    """A row the plain reader cannot vouch the typed decode takes as it is."""


if TYPE_CHECKING:
    Read = Callable[[Any], Any]  # a JSON value -> its plain form; NotAsIs if not of the type


class RowReader:
    """Stored item rows read by a plain description of their typed decode."""

    def __init__(self, tag_field: str, kinds: dict[str, Any]) -> None:
        self._tag_field = tag_field
        self._kinds = kinds  # tag -> its description, until a row of it is read
        self._readers: dict[str, Read] = {}  # tag -> its reader, made when first needed

    @classmethod
    def of(cls, schema: Any) -> RowReader | None:
        """The reader of `schema` (codec.plain_schema); None when there is none, or it says
        what this reader does not know."""
        try:
            tag_field, kinds = schema["tag_field"], dict(schema["kinds"])
        except (TypeError, KeyError, ValueError):
            return None
        return cls(tag_field, kinds) if isinstance(tag_field, str) else None

    def check(self, texts: list[Any], *, keep: bool = True) -> list[tuple[str, dict[str, Any]]]:
        """Each row's kind and fields (none when not `keep`: only checked); NotAsIs unless
        every text is a row the typed decode takes as it is."""
        plain = []
        for text in texts:
            if type(text) is not str:  # NULL, a BLOB, a number
                raise NotAsIs
            try:
                doc = json.loads(text, object_pairs_hook=_once, parse_constant=_no_constant)
            except (ValueError, RecursionError):
                raise NotAsIs from None
            read = self._plain(doc)
            if keep:
                plain.append(read)
        return plain

    def read(self, text: str) -> tuple[str, dict[str, Any]]:
        """A checked row's kind and fields (check vouched for it)."""
        return self._plain(json.loads(text))

    def _plain(self, doc: Any) -> tuple[str, dict[str, Any]]:
        if type(doc) is not dict:
            raise NotAsIs
        tag = doc.get(self._tag_field)
        if type(tag) is not str:
            raise NotAsIs
        fields: dict[str, Any] = self._reader(tag)(doc)["data"]
        return tag, fields

    def _reader(self, tag: str) -> Read:
        """The reader of rows of this tag (NotAsIs for a tag, or a description, it does not
        know), made when the first is read: `list prs` reads no message."""
        read = self._readers.get(tag)
        if read is None:
            try:
                read = self._readers[tag] = _reader(self._kinds[tag])
            except (TypeError, KeyError, ValueError, AttributeError):
                raise NotAsIs from None
        return read


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose every key comes once (which of two msgspec would take is its own)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        raise NotAsIs
    return found


def _no_constant(name: str) -> Any:
    """NaN and Infinity are no JSON: msgspec refuses them (the typed path reads them another
    way)."""
    raise NotAsIs


def _reader(kind: Any) -> Read:
    """The reader of one type of the description (see codec.plain_schema)."""
    if isinstance(kind, str):
        return _SIMPLE[kind]
    ((name, arg),) = kind.items()
    if name == "literal":
        return _literal(frozenset(arg))
    if name == "array":
        return _array(_reader(arg))
    if name == "object":
        return _object([(f[0], *_field_type(f[1]), f[2:]) for f in arg])
    if name == "any":
        return _any([_reader(k) for k in arg])
    raise ValueError(f"no reader for {name!r}")


_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool, "null": type(None)}


def _field_type(kind: Any) -> tuple[frozenset[type] | None, Read]:
    """A field's reader, and the Python types of its values when it takes scalars only (a
    union of them, too): most fields, checked in place rather than by a call each."""
    members = [kind] if isinstance(kind, str) else kind.get("any", [])
    if members and all(isinstance(m, str) for m in members):
        return frozenset(_SCALARS[m] for m in members), _reader(kind)
    return None, _reader(kind)


def _simple(cls: type) -> Read:
    def read(value: Any) -> Any:
        if type(value) is not cls:  # exactly: a bool is no int here, as in JSON
            raise NotAsIs
        return value

    return read


_SIMPLE = {name: _simple(cls) for name, cls in _SCALARS.items()}


def _literal(values: frozenset[str]) -> Read:
    def read(value: Any) -> Any:
        if type(value) is not str or value not in values:
            raise NotAsIs
        return value

    return read


def _array(inner: Read) -> Read:
    def read(value: Any) -> Any:
        if type(value) is not list:
            raise NotAsIs
        return [inner(v) for v in value]

    return read


def _object(fields: list[tuple[str, frozenset[type] | None, Read, list[Any]]]) -> Read:
    """`fields`: (name, its scalar types or None, its reader, [default] or [] for a required
    one), in the model's order."""

    def read(value: Any) -> Any:
        if type(value) is not dict:
            raise NotAsIs
        plain = {}
        for name, scalars, inner, default in fields:
            if name in value:
                got = value[name]
                if scalars is None:
                    got = inner(got)
                elif type(got) not in scalars:  # exactly: a bool is no int here, as in JSON
                    raise NotAsIs
                plain[name] = got
            elif default:
                plain[name] = default[0]
            else:
                raise NotAsIs
        return plain

    return read


def _any(members: list[Read]) -> Read:
    """One of `members`, which take values of different JSON kinds (codec.plain_schema): at
    most one takes a value."""

    def read(value: Any) -> Any:
        for member in members:
            try:
                return member(value)
            except NotAsIs:
                continue
        raise NotAsIs

    return read
