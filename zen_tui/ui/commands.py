"""The command palette provider: every triage action, the screens, and the themes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Provider
from textual.markup import escape

from zen_tui.models import format_age
from zen_tui.text_safety import clean
from zen_tui.ui.screens.dashboard import TRIAGE_BINDINGS, DashboardScreen

if TYPE_CHECKING:
    from zen_tui.ui.item_command import Running


class ZenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for everything the palette offers on this screen."""
        from zen_tui.ui.app import ZenApp  # here: the app module imports this one

        app = self.app
        zen = app if isinstance(app, ZenApp) else None  # the palette only ever runs in ZenApp
        keymap = zen.keymap if zen is not None else {}
        found: list[tuple[str, str, Callable[[], object]]] = []
        if isinstance(self.screen, DashboardScreen):
            screen = self.screen
            for b in TRIAGE_BINDINGS:
                keys = escape(clean(keymap.get(b.id, b.key))) if b.id else b.key
                found.append(
                    (b.description, f"key {keys} · id {b.id}", partial(screen.run_action, b.action))
                )
            custom = (
                [(n, zen.options.commands[n]) for n in zen.active_commands] if zen else []
            )  # [[commands]] from the config
            for n, command in custom:
                keys = escape(clean(command.key))
                found.append(
                    (
                        escape(clean(command.title)),  # the palette parses titles as markup
                        f"key {keys} · custom command",
                        partial(screen.run_action, f"run_command({n})"),
                    )
                )
            for running in screen.running_commands:  # first: a hung command is why you came
                found.insert(0, self._cancel_entry(screen, running))
            found.append(
                ("Refresh all", "poll every section now", partial(app.run_action, "refresh_all"))
            )
        found.append(
            (
                "Health screen",
                "per-endpoint table, sparklines, breaker log, errors",
                partial(app.run_action, "health"),
            )
        )
        found.append(
            (
                "Outbox",
                "actions not sent yet and failed ones: retry, cancel, clear",
                partial(app.run_action, "outbox"),
            )
        )
        found.append(("Help: keys", "every binding with its id", partial(app.run_action, "help")))
        for account in zen.accounts if zen is not None else ():
            where = escape(clean(f"{account.service} · {account.base_url}"))  # help is markup
            found.append((f"Log in: {account.name}", where, partial(self._login, account.name)))
            found.append(
                (
                    f"Log out: {account.name}",
                    "delete its stored token; its panes then say so",
                    partial(self._logout, account.name),
                )
            )
        if not isinstance(self.screen, DashboardScreen):  # there, the `login` binding is listed
            found.append(
                ("Log in…", "choose an account and a method", partial(app.run_action, "login"))
            )
        for name in sorted(app.available_themes):
            if name.startswith("zen-") or (zen is not None and name in zen.user_themes):
                found.append(
                    (f"Theme: {name}", "switch theme (saved)", partial(setattr, app, "theme", name))
                )
        return found

    def _cancel_entry(
        self, screen: DashboardScreen, running: Running
    ) -> tuple[str, str, Callable[[], object]]:
        """`Cancel: record on acme/web#7`, `running 12s · stopped after 10m`."""
        from zen_tui.ui.item_command import seconds  # loaded: a command is running

        ran = format_age(max(0.0, screen.zen.clock() - running.started))
        limit = seconds(running.timeout)
        where = f"running {ran} · stopped by itself after {limit}"
        title = clean(f"Cancel: {running.label}")  # an item's key: data, and the title is markup
        return (escape(title), where, partial(screen.cancel_command, running))

    def _login(self, account: str) -> None:
        from zen_tui.ui.app import ZenApp

        if isinstance(self.app, ZenApp):
            self.app.action_login(account)

    def _logout(self, account: str) -> None:
        from zen_tui.ui.app import ZenApp

        if isinstance(self.app, ZenApp):
            self.app.action_logout(account)

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
