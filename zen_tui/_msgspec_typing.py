"""Load msgspec on the standard library's `typing`, without typing_extensions.

msgspec (whose Structs are zen-tui's records) needs no dependency: its `_utils` tries
`typing_extensions` for `get_type_hints`, `Required` and `NotRequired` and falls back to
`typing`, which has all three on Python >= 3.11 (zen-tui's floor). Found installed (Textual
depends on it), typing_extensions costs 5-7 ms of every headless command, with the `inspect`,
`ast` and `dis` it imports. So msgspec is loaded with typing_extensions held unavailable for
that one import and restored right after: later imports (Textual's) still get it. (While
held, another thread's first `import typing_extensions` would fail; zen-tui imports msgspec
with its config, in the main thread, before it starts any.)

`install()` (zen_tui/__init__.py) puts a finder first on sys.meta_path that does this for the
first `import msgspec` of the process, wherever it happens, so no module has to remember to
import msgspec a special way. The fallback is msgspec's own, kept within the version range
pinned in pyproject.toml; tests/unit/test_msgspec_typing.py checks that records decode,
convert and validate the same either way and that headless commands never load
typing_extensions.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

NAME = "msgspec"
HELD = "typing_extensions"


_MISSING = object()


class _Loader:
    """The found loader of msgspec, running its module with typing_extensions unavailable
    (sys.modules[HELD] = None: `import` fails), then putting back what sys.modules held: the
    module if it was loaded, nothing if it was not."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        saved = sys.modules.get(HELD, _MISSING)
        sys.modules[HELD] = None  # type: ignore[assignment]  # import's "not available"
        try:
            self._loader.exec_module(module)
        finally:
            if saved is _MISSING:
                sys.modules.pop(HELD, None)
            else:
                sys.modules[HELD] = saved  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_data, ...: the found one's
        return getattr(self._loader, name)


class MsgspecFinder:
    """First on sys.meta_path: finds msgspec through the finders after it and wraps its
    loader; answers nothing else (None: the next finder looks)."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != NAME:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
                return spec
        return None


def install() -> None:
    """Before msgspec is first imported (a no-op afterwards: its module is found loaded)."""
    if not any(isinstance(f, MsgspecFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MsgspecFinder())
