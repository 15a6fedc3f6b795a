"""Defensive reads of server JSON: a wrong shape becomes BadResponse with context.

Usage: `r = Reader(body, service="github", account="gh", endpoint="/search/issues")`, then
`r.text(item, "title")`, `r.obj(item, "user")`, `r.arr(body, "items")`. Optional fields use
`opt_*`, which accept a missing key or null but still reject a wrong type.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from zen_tui.gateway.errors import BadResponse

T = TypeVar("T")


class Reader(msgspec.Struct, frozen=True):
    service: str
    account: str
    endpoint: str = ""

    def fail(self, what: str) -> BadResponse:
        return BadResponse(
            service=self.service, account=self.account, endpoint=self.endpoint, message=what
        )

    def _value(self, obj: Any, key: str, kinds: tuple[type, ...]) -> object:
        """obj[key] when it has one of `kinds`; None when it is missing or null."""
        if not isinstance(obj, dict):
            raise self.fail(f"expected an object holding '{key}', got {type(obj).__name__}")
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(f"field '{key}' has type bool")
        if not isinstance(value, kinds):
            raise self.fail(f"field '{key}' has type {type(value).__name__}")
        return value

    def _may(self, obj: Any, key: str, kind: type[T]) -> T | None:
        value = self._value(obj, key, (kind,))
        return value if isinstance(value, kind) else None  # _value has checked the type

    def _need(self, obj: Any, key: str, kind: type[T]) -> T:
        value = self._may(obj, key, kind)
        if value is None:
            raise self.fail(f"missing field '{key}'")
        return value

    def obj(self, obj: Any, key: str) -> dict[str, Any]:
        return self._need(obj, key, dict)

    def opt_obj(self, obj: Any, key: str) -> dict[str, Any] | None:
        return self._may(obj, key, dict)

    def arr(self, obj: Any, key: str) -> list[Any]:
        return self._need(obj, key, list)

    def opt_arr(self, obj: Any, key: str) -> list[Any]:
        return self._may(obj, key, list) or []

    def text(self, obj: Any, key: str) -> str:
        return self._need(obj, key, str)

    def opt_text(self, obj: Any, key: str) -> str | None:
        return self._may(obj, key, str)

    def integer(self, obj: Any, key: str) -> int:
        return self._need(obj, key, int)

    def opt_integer(self, obj: Any, key: str) -> int | None:
        return self._may(obj, key, int)

    def opt_bool(self, obj: Any, key: str) -> bool | None:
        return self._may(obj, key, bool)

    def opt_scalar(self, obj: Any, key: str) -> str | None:
        """A value that is a string or a number (ids, timestamps) as a string."""
        value = self._value(obj, key, (str, int, float))
        return None if value is None else str(value)

    def root(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self.fail(f"expected a JSON object, got {type(body).__name__}")
        return body

    def root_list(self, body: Any) -> list[Any]:
        if not isinstance(body, list):
            raise self.fail(f"expected a JSON array, got {type(body).__name__}")
        return body

    def at(self, endpoint: str) -> Reader:
        return Reader(self.service, self.account, endpoint)
