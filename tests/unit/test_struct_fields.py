"""msgspec can read the fields of every record zen_tui defines.

The store's codec reads a record's fields with msgspec.structs.fields (and its decoders with
the same type hints), which resolves each annotation in the class's module. Under
`from __future__ import annotations`, a field typed by a name imported only under
TYPE_CHECKING raises NameError there, at the first decode, not when the class is written. This
walks every module, so a record added later cannot carry such a field unnoticed.
"""

from __future__ import annotations

import msgspec

from tests.helpers import zen_tui_structs


def test_the_walk_finds_the_records() -> None:
    names = {cls.__name__ for cls in zen_tui_structs()}
    # Records of the models, the config, the gateway and the sync layer (Answer and Wired
    # name their types at run time by stand-ins, which the walk must reach).
    assert {"PullRequest", "AccountConfig", "Answer", "Wired", "CachedEntry"} <= names


def test_every_record_s_fields_resolve() -> None:
    unreadable = []
    for cls in zen_tui_structs():
        try:
            msgspec.structs.fields(cls)
        except Exception as exc:  # NameError above all; any failure is the same defect
            unreadable.append(f"{cls.__module__}.{cls.__qualname__}: {exc!r}")
    assert unreadable == []
