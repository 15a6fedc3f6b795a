"""Stored item rows damaged in the ways a row can be: by another version of zen-tui (a
field missing, a key it does not know), by a bug or the disk (a value of another type, a key
twice, no JSON at all), for the tests of the readers of rows (store/codec.py and its plain
twin store/plain_items.py, `zen-tui list`'s two lanes)."""

from __future__ import annotations

import json
import random
from typing import Any

# A JSON value of every kind the rows' fields are not all of.
ODD_VALUES: list[Any] = [
    *("", "x", "\u00e9\u4e2d", "\ud83d\ude00"),
    *(0, -1, 7, 2**63, 2**64, -(2**70), 1.0, 1.5, -0.0, 1e300),
    *(True, False, None, [], ["a"], [1], [None], {}, {"a": 1}, [{"name": "x", "count": 1}]),
    *("github", "jira", "slack", "pr", "issue", "message"),
]
# Text-level damage: (old, new) replaced once in the row's text.
TEXT_DAMAGE = [
    ('{"v":1,', '{"v":1,"type":"issue",'),  # the tag twice
    ('"data":{', '"data":{"title":"dup",'),  # a field twice
    ('"data":{', '"data":{"zz":NaN,'),  # no JSON
    ('"data":{', '"data":{"zz":Infinity,'),
    ('"data":{', '"data":{"zz":' + "[" * 5000 + "]" * 5000 + ","),  # deep, in an unknown key
    ('"title":"', '"title":"\\ud800'),  # a lone surrogate's escape (json.loads reads it)
    ('"data":{', '"data":{"zz":1e999,'),
    ("}", ""),  # cut short
    ('{"v":1,', "[1,"),
    ('{"v":1,', ' \n{"v":1,'),
    ('"data":{', '"data":{"zz":{"a":1,"a":2},'),  # a key twice where nothing reads it
    ('"data":{', '"data":{"zz":"\\u0000\\t",'),
]


def damaged(text: str, rng: random.Random) -> tuple[str, bool]:
    """The row damaged one random way; whether the typed decode still takes it as it was
    meant (a field missing that has a default, a key it does not know, another order)."""
    doc = json.loads(text)
    data = doc["data"]
    way = rng.randrange(9)
    if way == 0:  # a field missing: its default, or refused if it has none
        del data[rng.choice(list(data))]
    elif way == 1:  # a field of another value (maybe another type)
        data[rng.choice(list(data))] = rng.choice(ODD_VALUES)
    elif way == 2:  # a key a newer version wrote, anywhere
        where = rng.choice([doc, data, *data.get("reactions", [])])
        where[rng.choice(("zz", "v2", "extra"))] = rng.choice(ODD_VALUES)
        return json.dumps(doc), True
    elif way == 3:  # the tag changed or gone, or the data
        doc[rng.choice(("type", "data", "v"))] = rng.choice(ODD_VALUES)
    elif way == 4:
        del doc[rng.choice(("type", "data", "v"))]
    elif way == 5:  # another order
        keys = list(data)
        rng.shuffle(keys)
        doc["data"] = {k: data[k] for k in keys}
        return json.dumps(doc), True
    elif way == 6:  # a reaction damaged
        reactions = data.get("reactions") or [{"name": "x", "count": 1}]
        reactions[0][rng.choice(("name", "count", "me"))] = rng.choice(ODD_VALUES)
        data["reactions"] = reactions
    elif way == 7:  # a default field left out, as an older version wrote it
        optional = [k for k in data if k not in ("id", "account", "service", "key", "title")]
        optional = [k for k in optional if k not in ("url", "updated_at")]
        del data[rng.choice(optional)]
        return json.dumps(doc), True
    else:
        old, new = rng.choice(TEXT_DAMAGE)
        return text.replace(old, new, 1), False
    return json.dumps(doc), False
