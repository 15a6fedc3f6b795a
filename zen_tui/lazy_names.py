"""A package's names loaded on first use (PEP 562), for packages a light command imports a
part of: `from zen_tui.store import notices` should not load the whole store (SQLite and
every table's code), nor `zen_tui.gateway.settings` the request stack (httpx)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any]]:
    """(`__all__`, `__getattr__`) for `package`, whose names are `homes` (submodule -> the
    names it defines): a name's submodule is imported the first time the name is asked for,
    and the name is then kept in the package, so later look-ups skip the import machinery."""
    module_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return sorted(module_of), __getattr__
