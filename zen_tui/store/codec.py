"""Versioned JSON for items and actions: exact round-trip, tolerant of future fields.

An item is stored as {"v":1,"type":"pr"|"issue"|"message","data":{...}}: compact, fields in
the model's order, non-ASCII escaped as json.dumps escapes it, so the text is byte for byte what
earlier versions wrote and a store they wrote reads back the same. Decoding is msgspec's typed
JSON decoder, guided by the models' type hints (so a new model field needs no codec change):
tuples come back as tuples and Reaction as Reaction. Unknown keys (written by a newer version)
are ignored; a missing field falls back to its default; a missing required field, a value of
the wrong type or a kind this version does not know is a CodecError.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from itertools import repeat
from operator import attrgetter
from types import NoneType, UnionType
from typing import Any, Literal, Union, cast, get_args, get_origin

import msgspec

from zen_tui.json_input import decoded, loads
from zen_tui.models import (
    Action,
    ActionKind,
    Issue,
    Item,
    Message,
    PullRequest,
    is_row,
    parse_iso,
)
from zen_tui.store.health_reads import account_in

CODEC_VERSION = 1

_TAGS: dict[type, str] = {PullRequest: "pr", Issue: "issue", Message: "message"}


class CodecError(ValueError):
    """A stored value that cannot be turned back into a model."""


# The stored envelope as a tagged union: msgspec reads "type" wherever it sits in the object
# and decodes "data" straight into that model (the "v" key is not checked, as it never was).
class _PullRequestDoc(msgspec.Struct, tag_field="type", tag="pr"):
    data: PullRequest


class _IssueDoc(msgspec.Struct, tag_field="type", tag="issue"):
    data: Issue


class _MessageDoc(msgspec.Struct, tag_field="type", tag="message"):
    data: Message


_ENCODER = msgspec.json.Encoder()


@cache
def _items() -> msgspec.json.Decoder[_PullRequestDoc | _IssueDoc | _MessageDoc]:
    """The items' decoder, built the first time an item is read: building it reads the models'
    type hints (~1 ms), which a command that reads no item (`health`, `outbox`) never pays."""
    return msgspec.json.Decoder(_PullRequestDoc | _IssueDoc | _MessageDoc)


def tag_of(item: Item) -> str:
    """The item's kind as stored: "pr", "issue" or "message"."""
    tag = _TAGS.get(type(item))
    if tag is None:
        raise CodecError(f"cannot store {type(item).__name__}: not a PullRequest, Issue or Message")
    return tag


def encode_item(item: Item) -> str:
    tag = tag_of(item)
    if is_row(item):  # a stored `null` would replace the real URL and description: a bug
        raise CodecError(f"cannot store the row of {item.id}: put back what it left (whole)")
    return _compact({"v": CODEC_VERSION, "type": tag, "data": item})


def _compact(doc: dict[str, Any]) -> str:
    """json.dumps(doc, separators=(",", ":")) of the plain values, byte for byte. msgspec
    writes the same text when it is ASCII but for DEL; otherwise (non-ASCII, which json.dumps
    escapes, or a lone surrogate, which msgspec refuses) json.dumps writes it."""
    try:
        raw = _ENCODER.encode(doc)
        if raw.isascii() and b"\x7f" not in raw:
            return raw.decode("ascii")
    except UnicodeEncodeError:  # a lone surrogate
        pass
    return json.dumps(msgspec.to_builtins(doc), separators=(",", ":"))


def decode_item(text: str) -> Item:
    item = _decode(_items(), text)
    _share_one(item)
    return item


def decode_items(
    texts: Iterable[str],
    skipped: Callable[[CodecError], object],
    known: Mapping[str, Item] | None = None,
    *,
    rows: bool = False,
) -> list[Item]:
    """Each readable text's item, in order; each unreadable one is handed to `skipped` (an item
    of a kind written by a newer version, say), not raised. Shared a chunk at a time, so the
    copies of repeated values are never all held at once (3.5 MiB for 10,000 items).

    `known`: items already held (the section as the screen shows it), by id. A decoded item
    equal to the known one is dropped for it as its chunk ends, so re-reading a section
    whose rows mostly did not change holds one chunk of second copies, not a second copy
    of every item (6.5 MiB for 10,000 items, at every delta poll's re-read).

    `rows`: each item as the dashboard's rows hold it (models.as_row), what a row leaves
    in the store dropped as each item is read, so it is never all held at once."""
    items: list[Item] = []
    chunk: list[Item] = []
    decoder = _items()
    for text in texts:
        try:
            item = _decode(decoder, text)
        except CodecError as exc:
            skipped(exc)
        else:
            if rows:  # new, seen by nobody yet: setting fields finishes building it (as _share)
                _leave_in_store(item)
            chunk.append(item)
        if len(chunk) == _CHUNK:
            items += _settle(chunk, known)
            chunk.clear()
    return items + _settle(chunk, known)


def _leave_in_store(item: Item) -> None:
    """as_row without the copy (the item is new: see decode_items)."""
    msgspec.structs.force_setattr(item, "url", None)
    if not isinstance(item, Message):
        msgspec.structs.force_setattr(item, "body", None)
        msgspec.structs.force_setattr(item, "number", None)


def _settle(chunk: list[Item], known: Mapping[str, Item] | None) -> list[Item]:
    """The chunk with each item equal to a known one replaced by it; the rest shared."""
    if known:
        chunk = [_known_or(item, known) for item in chunk]
        _share([item for item in chunk if known.get(item.id) is not item])
    else:
        _share(chunk)
    return chunk


def _known_or(item: Item, known: Mapping[str, Item]) -> Item:
    held = known.get(item.id)
    return held if held is not None and held == item else item


_CHUNK = 500  # items shared at once: the set-up of a field's pass is paid per chunk


def _decode(decoder: msgspec.json.Decoder[Any], text: str) -> Item:
    item: Item = _read(decoder, text, "item").data
    return item


def _read(decoder: msgspec.json.Decoder[Any], text: str, what: str) -> Any:
    """decoder.decode(text), a failure as a CodecError. JSON that msgspec does not take but
    json.loads does (the escape of a lone surrogate, which the old codec wrote and read back,
    or NaN) is read by json.loads and then typed the same way, so no stored row is lost."""
    try:
        try:
            return decoded(decoder.decode, text)
        except msgspec.ValidationError:
            raise
        except msgspec.DecodeError:
            return msgspec.convert(loads(text), decoder.type)
    except (ValueError, TypeError) as exc:  # msgspec's, json's and NestedTooDeeply
        raise CodecError(f"unreadable stored {what}: {exc}") from None


class _StoredAction(msgspec.Struct):
    """An action as stored. Its kind is read as any string, as it always was: an entry of a
    kind a newer version queued must not make every read of the outbox fail."""

    kind: str
    item_id: str
    account: str
    params: dict[str, str] = msgspec.field(default_factory=dict)


class _ActionDoc(msgspec.Struct):
    data: _StoredAction


@cache
def _actions() -> msgspec.json.Decoder[_ActionDoc]:
    """The actions' decoder, built the first time an action is read (as `_items`)."""
    return msgspec.json.Decoder(_ActionDoc)


@cache
def _documents() -> msgspec.json.Decoder[Any]:
    """JSON as plain values, msgspec's decoder being the faster (see _plain)."""
    return msgspec.json.Decoder()


def _plain(text: str) -> Any:
    """json_input.loads(text): what msgspec reads as plain values, the rest by json.loads
    itself (a number past a float's range, which json reads as inf, NaN, a lone surrogate's
    escape): whichever reads it, the same values, as `zen-tui health` reads them by json
    alone (commands/health.py)."""
    try:
        return decoded(_documents().decode, text)
    except msgspec.DecodeError:  # ValidationError too: a number out of msgspec's range
        return loads(text)


def account_of(text: str) -> str:
    """The account of a stored action, the rest of it read as plain values and left unread
    (health_reads.account_in, which `zen-tui health` also reads it by): the outbox's figures
    (store/outbox.py) count every waiting entry after each change."""
    try:
        account = account_in(_plain(text))
    except (ValueError, TypeError) as exc:  # json's, msgspec's and NestedTooDeeply
        raise CodecError(f"unreadable stored action: {exc}") from None
    if account is None:
        raise CodecError("unreadable stored action: no account (a string at data.account)")
    return account


def encode_action(action: Action) -> str:
    # json.dumps' default separators, as actions were always stored (they are few and small).
    return json.dumps({"v": CODEC_VERSION, "data": msgspec.to_builtins(action)})


def decode_action(text: str) -> Action:
    data: _StoredAction = _read(_actions(), text, "action").data
    kind = cast("ActionKind", data.kind)  # any string: see _StoredAction
    return Action(kind, data.item_id, data.account, data.params)


def sort_key(updated_at: str) -> float:
    """Epoch seconds of an ISO 8601 (or Slack epoch-string) timestamp; 0.0 if unparseable.

    Sorting on this rather than on the string keeps '...Z', '+00:00' and '+0000' in order.
    """
    moment = parse_iso(updated_at)
    if moment is not None:
        return moment.timestamp()
    try:
        return float(updated_at)
    except ValueError:
        return 0.0


# Fields whose values repeat from item to item (who, where, which state, which labels): each
# distinct value is kept once (sys.intern), not once per item. 10,000 decoded PRs by a few
# dozen people in a few repos held ~3.5 MiB of copies of the same short strings. (`service` is
# a Literal: msgspec already gives back the one object of each value.)
SHARED_FIELDS = frozenset(
    {
        *("account", "repo", "author", "state", "review_decision", "check_status"),
        *("requested_reviewers", "labels", "assignees", "status", "assignee", "priority"),
        *("project", "channel", "channel_id", "name"),
    }
)


def _share(items: list[Any]) -> None:
    """Make the decoded items hold one copy of each repeated value. Field by field over all
    items of a class, with C-level maps (about 1.5 ms per field for 10,000 items, where a
    Python loop over the items costs three times that). The items are new, not yet seen by
    anyone: setting a field of these frozen Structs here finishes building them."""
    groups: dict[type, list[Any]] = {}
    for item in items:
        groups.setdefault(type(item), []).append(item)
    for cls, group in groups.items():
        for name, nested in _share_plan(cls):
            values = list(map(attrgetter(name), group))
            if nested is not None:  # a tuple of Structs (Reaction): share inside them
                _share([inner for value in values for inner in value])
                continue
            canonical = dict(zip(values, values, strict=True))  # one entry per distinct value
            for value in canonical:
                canonical[value] = _canonical(value)
            shared = map(canonical.__getitem__, values)
            deque(map(msgspec.structs.force_setattr, group, repeat(name), shared), maxlen=0)


def _share_one(item: Any) -> None:
    """_share for one item: the same, without the set-up that pays off over many."""
    cls: type = type(item)
    for name, nested in _share_plan(cls):
        value = getattr(item, name)
        if nested is None:
            msgspec.structs.force_setattr(item, name, _canonical(value))
        else:
            for inner in value:
                _share_one(inner)


def _canonical(value: Any) -> Any:
    """The one copy of a repeated value kept across decodes (interned: freed with its last
    user, unlike a cache of our own)."""
    if type(value) is str:
        return sys.intern(value)
    if type(value) is tuple:
        return tuple([sys.intern(v) if type(v) is str else v for v in value])
    return value  # None, a number


@cache
def _share_plan(cls: type) -> list[tuple[str, type | None]]:
    """(field, the Struct class of its tuple's elements or None) for the fields to share."""
    plan: list[tuple[str, type | None]] = []
    for field in msgspec.structs.fields(cls):
        inner = _struct_elements(field.type)
        if inner is not None:
            plan.append((field.name, inner))
        elif field.name in SHARED_FIELDS:
            plan.append((field.name, None))
    return plan


def _struct_elements(hint: Any) -> type | None:
    """The element class of a `tuple[SomeStruct, ...]` hint, else None."""
    args = getattr(hint, "__args__", ())
    if getattr(hint, "__origin__", None) is tuple and args:
        inner = args[0]
        if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
            return inner
    return None


# What the typed decode of a stored item takes, said as plain JSON for the readers that do
# without msgspec (store/plain_items.py: `zen-tui list`'s quick lane, cli._quick).


def plain_schema() -> dict[str, Any] | None:
    """The stored envelope's tag field and, by tag, its document's type in the plain terms
    plain_items.RowReader reads: "str", "int", "bool", "null", {"literal": [strings]},
    {"array": type}, {"any": [types]} (a union, its members of different JSON kinds) and
    {"object": [[name, type] (required) or [name, type, default], ...]} (a Struct: fields in
    order, unknown keys ignored). Made from the models (config.headless_facts keeps it with
    the config's facts); None when a model has what these terms cannot say exactly (its
    readers then decline, and the typed path reads)."""
    docs = (_PullRequestDoc, _IssueDoc, _MessageDoc)
    tag_fields = {doc.__struct_config__.tag_field for doc in docs}
    models: dict[Any, type] = {tag: model for model, tag in _TAGS.items()}  # `data`, by tag
    kinds: dict[Any, Any] = {}
    for doc in docs:
        # Its fields by name, not structs.fields(): this module's hints are strings, and
        # evaluating one compiles it (the first compile() of a process costs a millisecond).
        config, model = doc.__struct_config__, models.get(doc.__struct_config__.tag)
        if doc.__struct_fields__ != ("data",) or model is None or not _plain_config(config, True):
            return None
        kinds[config.tag] = {"object": [["data", _plain_type(model)]]}
    if len(tag_fields) != 1 or not all(kinds.values()) or not all(map(_is_str, kinds)):
        return None
    return {"tag_field": tag_fields.pop(), "kinds": kinds}


def _is_str(value: object) -> bool:
    return type(value) is str


_SIMPLE: dict[Any, str] = {str: "str", int: "int", bool: "bool", NoneType: "null"}


def _plain_type(hint: Any) -> Any:
    """`hint` in plain_schema's terms; None when they cannot say it."""
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return {"literal": list(args)} if all(map(_is_str, args)) else None
    if origin in (tuple, list):
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            return None  # a fixed-size tuple
        inner = _plain_type(args[0]) if args else None
        return None if inner is None else {"array": inner}
    if origin in (Union, UnionType):
        members = [_plain_type(arg) for arg in args]
        kinds = [_json_kind(m) for m in members]
        if None in members or len(set(kinds)) != len(kinds):
            return None  # which member takes a value would be msgspec's choice
        return {"any": members}
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return _plain_struct(hint)
    return None


def _json_kind(plain: Any) -> str:
    """The JSON kind of values a plain type takes: a literal's are strings."""
    if isinstance(plain, str):
        return plain
    (name,) = plain
    return "str" if name == "literal" else name


def _plain_struct(cls: type[msgspec.Struct]) -> Any:
    """A Struct decoded from an object, by the names of its fields; None for one whose config
    or fields plain_schema's terms cannot say."""
    if not _plain_config(cls.__struct_config__, False):
        return None
    fields: list[list[Any]] = []
    for field in msgspec.structs.fields(cls):
        plain = _plain_type(field.type)
        if plain is None or field.encode_name != field.name:
            return None
        fields.append([field.name, plain, *_plain_default(field)])
    return {"object": fields}


def _plain_config(config: msgspec.structs.StructConfig, envelope: bool) -> bool:
    """Nothing in the Struct's config changes how an object is decoded or given back: not an
    array, unknown keys not refused, defaults not left out of to_builtins, no tag (but the
    envelope's, read by RowReader itself)."""
    plain = not (config.array_like or config.forbid_unknown_fields or config.omit_defaults)
    return plain and (config.tag is not None) == envelope


def _plain_default(field: msgspec.structs.FieldInfo) -> list[Any]:
    """[the field's default as to_builtins gives it], or [] for a required field."""
    if field.default is not msgspec.NODEFAULT:
        return [msgspec.to_builtins(field.default)]
    if field.default_factory is not msgspec.NODEFAULT:
        return [msgspec.to_builtins(field.default_factory())]
    return []
