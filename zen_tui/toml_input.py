"""TOML a person wrote (the config, a theme), read so that nesting too deep for the parser is
invalid TOML like any other (the simulator reads its scenarios the same way, with its own
copy: it shares no code with the client).

tomllib recurses once per level of nested arrays and inline tables: `x = [[[[...` a few
thousand deep raises RecursionError, which is no TOMLDecodeError, so each caller's "fix the
syntax" answer let it through as an unexpected error. Here it is a TOMLDecodeError saying so.
"""

from __future__ import annotations

import tomllib
from typing import Any


def loads(text: str) -> dict[str, Any]:
    """tomllib.loads(text); TOMLDecodeError for a document nested past the stack."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply (arrays or inline tables)") from None
