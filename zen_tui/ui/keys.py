"""Keys compared however they were written: a binding says `question_mark` or `slash`, a
config `?` or `/`, a key event `question_mark`.

Textual names keys through `unicodedata.lookup`, which reads unicodedata's name tables into
memory page by page: ~0.75 MiB of RSS for the dashboard's keys (the footer's `format_key`,
and the Screen's `key_to_character` for each key bound around the focused widget). Those are
answered here from tables (tests check they are Textual's answers), so the dashboard starts
without reading unicodedata's; `key_char` (a config's `[[commands]]`, an unbound key) still
asks Textual."""

from __future__ import annotations

import textual.screen
from textual.keys import format_key, key_to_character

# The non-letter keys the bindings name, as people type them (a test checks Textual agrees)
KEY_NAMES = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "question_mark": "?",
    "slash": "/",
}


def key_char(key: str) -> str:
    """One name per key: `question_mark` and `?` are `?`, `slash` is `/`, `down` stays."""
    key = key.strip()
    if len(key) == 1:
        return key
    for char in (key_to_character(key), format_key(key)):
        if char and len(char) == 1 and char.isprintable() and char.isascii():
            return char
    return key


def key_display(key: str) -> str:
    """A key without modifiers as Textual's footer shows it (`format_key`): a character as
    itself, `question_mark` as `?`, `escape` as `esc`."""
    key = KEY_NAMES.get(key, key)
    return key if len(key) == 1 else format_key(key)


# textual.keys.key_to_character's answers for the keys longer than one letter bound on the
# dashboard's screen and app (a letter is its own answer, without a look-up)
KEY_CHARACTERS: dict[str, str | None] = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "question_mark": "?",
    "slash": None,
    "tab": "\t",
    "enter": None,
    "space": " ",
    "escape": "\x1b",
}


def _key_to_character(key: str) -> str | None:
    if key in KEY_CHARACTERS:
        return KEY_CHARACTERS[key]
    return key_to_character(key)


def name_keys_from_tables() -> None:
    """Have Textual's Screen, which asks `key_to_character` about every key bound on the
    focused widget's ancestors each time it gathers the active bindings, get the answers
    for KEY_CHARACTERS from the table (the same answers, without the look-up)."""
    setattr(textual.screen, "key_to_character", _key_to_character)  # noqa: B010
