"""Records that hold secrets: msgspec Structs have no per-field `repr=False`, and a Struct's
`__rich_repr__` (what Rich and Textual pretty-print, tracebacks with locals too) lists every
field. A `Redacted` record leaves the fields it names in `secret` out of both, printing as a
dataclass with `repr=False` on them would. Nothing else is imported here, so any layer can
use it."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec


class Redacted(msgspec.Struct, frozen=True):
    secret: ClassVar[tuple[str, ...]] = ()  # the fields never shown

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__rich_repr__())
        return f"{type(self).__qualname__}({shown})"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [(n, getattr(self, n)) for n in self.__struct_fields__ if n not in self.secret]
