"""Read-only screens: the key help, and the welcome screen shown with no sections configured."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from zen_tui.text_safety import clean
from zen_tui.ui.screens.dialog import Dialog
from zen_tui.ui.widgets.key_footer import KeyFooter

DEMO_RESULT = "demo"  # ZenApp's return value when the user asks for the demo
INIT_RESULT = "init"  # ... and for `zen-tui init` (run in the terminal once the UI is closed)


HEADERS = ("Keys", "Action", "Binding id (keymap)")
ACTION_MIN = 12  # the Action column's least width beside the other two (else stacked)
GAPS = 6  # each of the three columns' padding, one cell either side
Row = tuple[str, str, str]  # (binding id, keys, description)


class KeyTable:
    """The help's rows laid out for the width they are drawn at. With room: keys, action and
    binding id side by side. Without (a 40-column terminal: the keys and ids, never wrapped,
    squeezed the Action column out of Rich's table): two columns, each binding's id under
    its action, the keys folded if they must. Every column keeps one width throughout, so the
    sections' tables line up under one header."""

    def __init__(self, rows: list[Row], *, first: int = 0, pane: str = "") -> None:
        self.rows, self.first, self.pane = rows, first, pane
        self.keys_width = max([cell_len(HEADERS[0]), *(cell_len(clean(k)) for _, k, _ in rows)])
        self.ids_width = max([cell_len(HEADERS[2]), *(cell_len(clean(i)) for i, _, _ in rows)])

    def wide(self, width: int) -> bool:
        return width >= self.keys_width + self.ids_width + ACTION_MIN + GAPS

    def sections(self) -> list[tuple[str, list[Row]]]:
        """(heading, rows): the focused pane's keys first, when the help was opened there."""
        if not self.first:
            return [("", self.rows)]
        return [
            (f"On {self.pane}", self.rows[: self.first]),
            ("Everything else", self.rows[self.first :]),
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        yield self._table([], width, header=True)
        for heading, rows in self.sections():
            if heading and rows:
                yield Text(" " + clean(heading), style="bold underline")  # the pane's name
            yield self._table(rows, width)

    def _table(self, rows: list[Row], width: int, *, header: bool = False) -> Table:
        table = Table(box=None, expand=True, header_style="bold", show_header=header)
        if self.wide(width):
            table.add_column(HEADERS[0], style="bold", no_wrap=True, width=self.keys_width)
            table.add_column(HEADERS[1], ratio=1)
            table.add_column(HEADERS[2], style="dim", no_wrap=True, width=self.ids_width)
            for binding_id, keys, description in rows:  # the user's keys, a command's title
                table.add_row(Text(clean(keys)), Text(clean(description)), Text(clean(binding_id)))
            return table
        keys_width = min(self.keys_width, width // 3)  # long keys fold, the action keeps room
        table.add_column(HEADERS[0], style="bold", overflow="fold", width=keys_width)
        table.add_column(f"{HEADERS[1]} · binding id", ratio=1, overflow="fold")
        for binding_id, keys, description in rows:
            stacked = Text(clean(description))
            stacked.append("\n" + clean(binding_id), style="dim")
            table.add_row(Text(clean(keys)), stacked)
        return table


class HelpScreen(Dialog[None]):
    """Every binding with its id (the name to use in the keymap) and its current keys, in a
    box that scrolls; narrow, each id under its action (KeyTable)."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 90%; border: round $primary; background: $surface;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close", id="help-close")]

    def __init__(self, rows: list[Row], *, first: int = 0, pane: str = "") -> None:
        super().__init__()
        self.rows = rows  # (id, keys, description)
        self.first = first  # the first rows are the focused pane's keys ...
        self.pane = pane  # ... and this is the pane

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys · esc closes · remap by id in the config keymap"
            yield Static(KeyTable(self.rows, first=self.first, pane=self.pane))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


WELCOME = """\
[b]Welcome to zen-tui[/b]

No accounts or sections are configured yet.

[b]1. Set up[/b]: press [b]i[/b] to write a starter config
  (zen-tui init asks a few questions and finds your gh login).

[b]2. Log in[/b]: press [b]l[/b] now (GitHub, Slack), or add an account to your config
  (\\[\\[accounts]] in config.toml) and run  zen-tui auth login ACCOUNT
  Then list what to show as \\[\\[sections]] and start zen-tui again.

[b]3. Try the demo[/b]: every feature against the bundled simulator, no account, no network.
    zen-tui --demo          or press [b]d[/b] now

Press [b]q[/b] to quit."""


class WelcomeScreen(Screen[None]):
    BINDINGS = [
        Binding("i", "init", "Set up a config", id="welcome-init"),
        Binding("l", "app.login", "Log in", id="welcome-login"),
        Binding("d", "demo", "Run the demo", id="welcome-demo"),
        Binding("q", "app.quit", "Quit", id="welcome-quit"),
    ]
    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > Vertical {
        width: 76; max-width: 100%; height: auto; border: round $primary; padding: 1 2;
        background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "zen-tui · log in or run the demo"
            yield Static(Text.from_markup(WELCOME))
        yield KeyFooter()  # a key that does not fit is left out whole (Footer cut `h Heal`)

    def action_demo(self) -> None:
        self.app.exit(DEMO_RESULT)

    def action_init(self) -> None:
        self.app.exit(INIT_RESULT)
