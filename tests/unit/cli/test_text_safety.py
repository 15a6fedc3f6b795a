"""zen_tui.text_safety: what `clean` turns into what, and that nothing it returns can act."""

from __future__ import annotations

import io
import random

import pytest

from tests.hostile_text import ALL, CLEAR, OSC52, forbidden_in, mixed
from zen_tui.text_safety import SafeWriter, clean


def test_escape_sequences_become_visible_stand_ins() -> None:
    assert clean(CLEAR) == "␛[2J"
    assert clean(OSC52).startswith("␛]52;c;") and clean(OSC52).endswith("␇")
    assert clean("\x9b2J") == "\ufffd2J"  # the 8-bit CSI
    assert clean("invoice_\u202egnp.exe") == "invoice_\ufffdgnp.exe"
    assert clean("a\x7fb\x00") == "a␡b␀"


def test_one_line_and_block() -> None:
    assert clean("a\nb\tc\r\nd\re") == "a b c d e"
    assert clean("a\nb\tc\r\nd\re", multiline=True) == "a\nb\tc\nd\ne"
    assert clean("p\u2028q", multiline=True) == "p\nq"


@pytest.mark.parametrize("text", ["plain", "ü 日本 [b]x[/b] #dev", "", "a\u00a0b"])
def test_ordinary_text_is_untouched(text: str) -> None:
    assert clean(text) == text and clean(text, multiline=True) == text


def test_fuzz_nothing_forbidden_survives() -> None:
    """Every hostile case, random mixes of them, and random code points: the result never
    holds a control or bidi character, and clean is idempotent."""
    rng = random.Random(9)
    samples = [*ALL, *mixed(seed=9, rounds=300)]
    samples += ["".join(chr(rng.randrange(0, 0x2100)) for _ in range(40)) for _ in range(300)]
    for text in samples:
        for multiline in (False, True):
            once = clean(text, multiline=multiline)
            assert not forbidden_in(once), (text, once)
            assert clean(once, multiline=multiline) == once
            if not multiline:
                assert "\n" not in once and "\t" not in once


def test_safe_writer_cleans_every_write_and_delegates_the_rest() -> None:
    raw = io.StringIO()
    out = SafeWriter(raw)  # type: ignore[arg-type]
    print("title:", OSC52, file=out)  # type: ignore[arg-type]
    out.writelines([CLEAR, "\n"])
    assert raw.getvalue() == f"title: {clean(OSC52)}\n␛[2J\n"
    assert out.getvalue() == raw.getvalue()  # type: ignore[attr-defined]
