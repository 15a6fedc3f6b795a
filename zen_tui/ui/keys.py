"""Keys compared however they were written: a binding says `question_mark` or `slash`, a
config `?` or `/`, a key event `question_mark`."""

from __future__ import annotations

from textual.keys import format_key, key_to_character


def key_char(key: str) -> str:
    """One name per key: `question_mark` and `?` are `?`, `slash` is `/`, `down` stays."""
    key = key.strip()
    if len(key) == 1:
        return key
    for char in (key_to_character(key), format_key(key)):
        if char and len(char) == 1 and char.isprintable() and char.isascii():
            return char
    return key
