"""Defensive reads of server JSON: a wrong shape becomes BadResponse with context.

Usage: `r = Reader(body, service="github", account="gh", endpoint="/search/issues")`, then
`r.text(item, "title")`, `r.obj(item, "user")`, `r.arr(body, "items")`. Optional fields use
`opt_*`, which accept a missing key or null but still reject a wrong type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zen_tui.gateway.errors import BadResponse

_MISSING = object()


@dataclass(frozen=True)
class Reader:
    service: str
    account: str
    endpoint: str = ""

    def fail(self, what: str) -> BadResponse:
        return BadResponse(
            service=self.service, account=self.account, endpoint=self.endpoint, message=what
        )

    def _get(self, obj: Any, key: str, kind: type | tuple[type, ...], optional: bool) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(f"expected an object holding '{key}', got {type(obj).__name__}")
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:
            if optional:
                return None
            raise self.fail(f"missing field '{key}'")
        if isinstance(value, bool) and bool not in _as_tuple(kind):
            raise self.fail(f"field '{key}' has type bool")
        if not isinstance(value, kind):
            raise self.fail(f"field '{key}' has type {type(value).__name__}")
        return value

    def obj(self, obj: Any, key: str) -> dict[str, Any]:
        return self._get(obj, key, dict, False)

    def opt_obj(self, obj: Any, key: str) -> dict[str, Any] | None:
        return self._get(obj, key, dict, True)

    def arr(self, obj: Any, key: str) -> list[Any]:
        return self._get(obj, key, list, False)

    def opt_arr(self, obj: Any, key: str) -> list[Any]:
        return self._get(obj, key, list, True) or []

    def text(self, obj: Any, key: str) -> str:
        return self._get(obj, key, str, False)

    def opt_text(self, obj: Any, key: str) -> str | None:
        return self._get(obj, key, str, True)

    def integer(self, obj: Any, key: str) -> int:
        return self._get(obj, key, int, False)

    def opt_integer(self, obj: Any, key: str) -> int | None:
        return self._get(obj, key, int, True)

    def opt_bool(self, obj: Any, key: str) -> bool | None:
        return self._get(obj, key, bool, True)

    def opt_scalar(self, obj: Any, key: str) -> str | None:
        """A value that is a string or a number (ids, timestamps) as a string."""
        value = self._get(obj, key, (str, int, float), True)
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


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
