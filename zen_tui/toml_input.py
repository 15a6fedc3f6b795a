"""TOML a person wrote (the config, a theme), read so that nesting too deep for the parser is
invalid TOML like any other (the simulator reads its scenarios the same way, with its own
copy: it shares no code with the client).

tomllib recurses once per level of nested arrays and inline tables: `x = [[[[...` a few
thousand deep raises RecursionError, which is no TOMLDecodeError, so each caller's "fix the
syntax" answer let it through as an unexpected error. Here it is a TOMLDecodeError saying so.
So is an integer longer than Python converts (4300 digits by default), which tomllib's int()
refuses with a plain ValueError.
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any


def loads(text: str) -> dict[str, Any]:
    """tomllib.loads(text); TOMLDecodeError for a document nested past the stack."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply (arrays or inline tables)") from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # int()'s digit limit: the only ValueError tomllib lets out
        limit = sys.get_int_max_str_digits()
        raise tomllib.TOMLDecodeError(f"an integer longer than {limit} digits") from None
