"""The plain reader of stored item rows (store/plain_items.py) against the typed decode it
stands in for (store/codec.py): whatever row it takes, the typed decode takes too and makes
the same plain values of (msgspec.to_builtins, in the same order); the rows zen-tui writes,
and those an older or newer version wrote (a field missing, a key unknown), it takes."""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any, Literal

import msgspec
import pytest

from tests.fakes.backend import DEFAULT_SECTIONS, make_items
from tests.fakes.rows import damaged
from zen_tui.store.codec import CodecError, decode_item, encode_item, plain_schema, tag_of
from zen_tui.store.plain_items import NotAsIs, RowReader


@cache
def reader() -> RowReader:
    """The reader of the description as the facts keep it (through JSON)."""
    made = RowReader.of(json.loads(json.dumps(plain_schema())))
    assert made is not None
    return made


def rows(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for section in DEFAULT_SECTIONS:
        out += [encode_item(item) for item in make_items(section, count, seed=rng.randrange(99))]
    return out


def typed(text: Any) -> tuple[str, str] | None:
    """The typed path's item as plain JSON text (its order and types said), None if skipped."""
    try:
        item = decode_item(text)
    except CodecError:
        return None
    return tag_of(item), json.dumps(msgspec.to_builtins(item))


def plain(text: Any) -> tuple[str, str] | None:
    try:
        ((tag, fields),) = reader().check([text])
    except NotAsIs:
        return None
    assert reader().read(text) == (tag, fields)
    return tag, json.dumps(fields)


def test_the_rows_zen_tui_writes_read_as_the_typed_decode_reads_them() -> None:
    texts = rows(0, 30)
    read = [plain(text) for text in texts]
    assert {r[0] for r in read if r} == {"pr", "issue", "message"}
    for text, mine in zip(texts, read, strict=True):
        assert mine == typed(text) is not None


@pytest.mark.parametrize("seed", range(8))
def test_a_damaged_row_is_read_as_the_typed_decode_reads_it_or_declined(seed: int) -> None:
    rng = random.Random(seed)
    taken = declined = 0
    for text in rows(seed, 6):
        for _ in range(25):
            row, meant = damaged(text, rng)
            mine, theirs = plain(row), typed(row)
            if mine is None:
                declined += 1
                assert not meant, row  # a row an older or newer version wrote: read here too
            else:
                taken += 1
                assert mine == theirs, row
    assert taken > 100 and declined > 100  # both ways were tried


@pytest.mark.parametrize("text", [None, b'{"type":"pr"}', 7, 1.5])
def test_a_row_that_is_no_text_is_declined(text: Any) -> None:
    assert plain(text) is None


def test_a_description_it_cannot_read_declines_the_rows_of_that_kind() -> None:
    schema = json.loads(json.dumps(plain_schema()))
    schema["kinds"]["pr"] = {"object": [["data", {"set": "str"}]]}  # a newer term
    odd = RowReader.of(schema)
    assert odd is not None and RowReader.of(None) is None and RowReader.of({"kinds": 1}) is None
    pr = next(text for text in rows(1, 1) if '"type":"pr"' in text)
    issue = next(text for text in rows(1, 1) if '"type":"issue"' in text)
    with pytest.raises(NotAsIs):
        odd.check([pr])
    assert odd.check([issue])[0][0] == "issue"


def test_a_model_whose_fields_the_description_cannot_say_gives_none() -> None:
    """A float, a dict, a fixed-size tuple, a union of two of a kind: not said (the quick
    lane then always declines, and the typed path answers)."""
    from zen_tui.store import codec

    for hint in (float, bytes, dict[str, str], tuple[str, int], Literal["a"] | str):
        assert codec._plain_type(hint) is None, hint
    assert codec._plain_type(str | None) == {"any": ["str", "null"]}
    assert codec._plain_type(int | bool) == {"any": ["int", "bool"]}
