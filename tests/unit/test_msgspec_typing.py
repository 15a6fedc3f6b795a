"""msgspec loads without typing_extensions (zen_tui/_msgspec_typing.py), and that changes
nothing it does with zen-tui's records.

Each probe runs in a fresh interpreter: this one imported msgspec long ago. The comparison
runs the same seeded work twice, once with msgspec as it loads on its own (typing_extensions
found installed, as Textual's dependency) and once as zen-tui loads it, and wants the same
output: every Struct's JSON schema (its fields, types, defaults, tags and any Meta constraint,
as msgspec read them from the type hints) and the decoding of stored items, actions and
converted records, valid and seeded-randomly broken alike (values or errors, text for text).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The two ways msgspec can come to load in a process: first, on its own (typing_extensions
# available), or through zen_tui's finder.
WITH_TE = """
import typing, typing_extensions, msgspec, msgspec._utils
assert msgspec._utils._get_type_hints is typing_extensions.get_type_hints
assert msgspec._utils.Required is typing_extensions.Required
"""
ZEN = """
import typing, zen_tui, msgspec, msgspec._utils
assert msgspec._utils._get_type_hints is typing.get_type_hints
assert msgspec._utils.Required is typing.Required
assert "typing_extensions" not in sys.modules, "msgspec loaded typing_extensions"
"""

PROBE = """
import json, random, sys
{load}
import pkgutil, importlib, zen_tui
import msgspec
from zen_tui.models import SectionInfo
from zen_tui.store import codec
from tests.fakes.backend import make_items

# Every module of the package but the simulator's (no Struct there), so every record counts.
for info in pkgutil.walk_packages(zen_tui.__path__, "zen_tui."):
    if not info.name.startswith(("zen_tui.simulator", "zen_tui.__main__")):
        importlib.import_module(info.name)

def structs(cls):
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("zen_tui."):
            yield sub
        yield from structs(sub)

out = {{}}
for t in sorted(set(structs(msgspec.Struct)), key=lambda t: (t.__module__, t.__qualname__)):
    name = f"{{t.__module__}}.{{t.__qualname__}}"
    try:
        out[name] = msgspec.json.schema(t)
    except Exception as exc:  # a field msgspec has no schema for: its error, compared too
        out[name] = f"{{type(exc).__name__}}: {{exc}}"

VALUES = [None, 0, -1, 2.5, "", "x", True, [], ["a"], {{}}, {{"name": "+1", "count": 1}}]

def broken(doc, rng):
    doc = dict(doc)
    key = rng.choice(sorted(doc) + ["unknown_field"])
    if rng.random() < 0.3:
        doc.pop(key, None)
    else:
        doc[key] = rng.choice(VALUES)
    return doc

def outcome(read, *args):
    try:
        return repr(read(*args))
    except Exception as exc:
        return f"{{type(exc).__name__}}: {{exc}}"

rng = random.Random(1207)
items = []
for pane, service in (("prs", "github"), ("issues", "jira"), ("issues", "github"),
                      ("messages", "slack")):
    section = SectionInfo(id=f"{{pane}}:0:a", pane=pane, title="t", account="a", service=service)
    items += make_items(section, 5)
decoded = []
for _ in range(3000):
    item = rng.choice(items)
    stored = json.loads(codec.encode_item(item))
    if rng.random() < 0.8:
        stored["data"] = broken(stored["data"], rng)
    if rng.random() < 0.05:
        stored["type"] = rng.choice(["pr", "issue", "message", "epic", 3])
    decoded.append(outcome(codec.decode_item, json.dumps(stored)))
    plain = broken(msgspec.to_builtins(item), rng)
    decoded.append(outcome(msgspec.convert, plain, type(item)))
    action = {{"kind": "approve", "item_id": item.id, "account": "a", "params": {{}}}}
    stored = json.dumps({{"v": 1, "data": broken(action, rng)}})
    decoded.append(outcome(codec.decode_action, stored))
out["decoded"] = decoded
print(json.dumps(out, sort_keys=True, default=repr))
"""


def run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_records_read_the_same_without_typing_extensions() -> None:
    """Same schemas (types, defaults, tags, constraints) and the same decoded values and
    errors for 9,000 seeded stored items, converted records and actions, broken or not."""
    with_te = json.loads(run(PROBE.format(load=WITH_TE)))
    zen = json.loads(run(PROBE.format(load=ZEN)))
    assert len(with_te) > 50  # every Struct of the package, and the decoded list
    assert sum(not x.startswith(("CodecError", "ValidationError")) for x in zen["decoded"]) > 500
    assert zen == with_te


def test_typing_extensions_is_imported_normally_afterwards() -> None:
    """Held unavailable only while msgspec loads: imported after it (as Textual does), it is
    the real module; loaded before zen_tui, it is the same module object afterwards."""
    after = run(
        "import sys, zen_tui, msgspec\n"
        "assert 'typing_extensions' not in sys.modules\n"
        "import typing_extensions\n"
        "print(typing_extensions.__file__)\n"
    )
    assert after.strip().endswith("typing_extensions.py")
    run(
        "import sys, typing_extensions as te, zen_tui, msgspec, msgspec._utils, typing\n"
        "assert sys.modules['typing_extensions'] is te\n"
        "assert msgspec._utils._get_type_hints is typing.get_type_hints\n"
    )


def test_msgspec_imported_first_anywhere_in_the_package_loads_without_it() -> None:
    """No module has to import msgspec a special way: whichever first imports it, through
    `import msgspec` or `from msgspec.structs import replace`, gets the finder's load."""
    for first in ("zen_tui.models", "zen_tui.config", "zen_tui.store.codec", "zen_tui.wiring"):
        run(
            f"import sys, typing, importlib\nimportlib.import_module({first!r})\n"
            "import msgspec._utils\n"
            "assert msgspec._utils._get_type_hints is typing.get_type_hints, sys.argv\n"
            "assert 'typing_extensions' not in sys.modules\n"
        )
