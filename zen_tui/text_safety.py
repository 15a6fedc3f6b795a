"""Text from a server, a config or a file, made safe to put on a terminal.

A title, body, name, label or error message is data. Written to a terminal as is, its control
characters act: `ESC ] 52 ; c ; <base64> BEL` writes the clipboard, `ESC [ 2 J` clears the
screen, and bidi overrides (U+202E ...) make a title read as something else. `clean` turns
every such character into a visible stand-in, so the text still shows that something was
there but nothing reaches the terminal as a command:

- C0 controls and DEL become their Unicode control pictures (ESC -> ␛, BEL -> ␇);
- C1 controls (U+0080-U+009F, which include the 8-bit CSI and OSC) and the bidi embedding,
  override, isolate and mark characters become U+FFFD (�);
- newlines and tabs stay where the text is a block (`multiline=True`); on one line they
  become spaces. A CR (alone or in CRLF) counts as a newline, never as "go back and overwrite".

No Textual or Rich import: the CLI and the dashboard share this. Markup is a separate matter,
handled where text enters a widget (zen_tui.ui.safe): this module only deals in characters.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import TextIO

REPLACEMENT = "\ufffd"

# U+061C ALM; U+200E/F LRM/RLM; U+202A-E LRE RLE PDF LRO RLO; U+2066-9 LRI RLI FSI PDI.
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_LINE_BREAKS = (0x2028, 0x2029)  # line and paragraph separators: a newline in disguise


def _table(multiline: bool) -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ ... ␟
    table[0x7F] = "\u2421"  # ␡
    table.update({c: REPLACEMENT for c in range(0x80, 0xA0)})
    table.update({c: REPLACEMENT for c in BIDI})
    if multiline:
        for keep in ("\n", "\t"):
            del table[ord(keep)]
        table.update({c: "\n" for c in _LINE_BREAKS})
    else:
        table.update({ord("\n"): " ", ord("\t"): " ", **{c: " " for c in _LINE_BREAKS}})
    return table


_ONE_LINE = _table(multiline=False)
_BLOCK = _table(multiline=True)


def clean(text: str, *, multiline: bool = False) -> str:
    """`text` with every terminal control and bidi character made visible (see the module)."""
    if text.isprintable():  # the common case: nothing to do (isprintable is False for all of
        return text  # Cc, Cf, Zl and Zp, so every character handled below fails it)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_BLOCK if multiline else _ONE_LINE)


def is_clean(text: str, *, multiline: bool = False) -> bool:
    return clean(text, multiline=multiline) == text


class SafeWriter:
    """A text stream that passes everything written through `clean(multiline=True)`.

    The CLI puts stdout and stderr behind one of these, so no command can print a raw escape
    sequence, whichever server string it prints (titles, reasons, names, error messages).
    Everything else (fileno, isatty, flush, encoding, buffer) is the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(clean(text, multiline=True))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped, name)
