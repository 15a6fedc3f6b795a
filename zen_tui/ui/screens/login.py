"""In-app login: choose an account and a method, then follow the auth layer's LoginFlow.

Device flow shows the user code (not a secret) and the verification URL; OAuth shows the URL
while it waits for the browser; a token is typed into a password Input that never echoes and
is handed straight to the flow (never logged, never kept on the screen). The flow runs in a
worker; the keyring write is the auth layer's job. Dismisses with the account name on success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from zen_tui.auth.states import (
    DeviceCodeShown,
    LoggedIn,
    LoginFailed,
    LoginState,
    SlowedDown,
    WaitingForBrowser,
)
from zen_tui.config import AccountConfig
from zen_tui.text_safety import clean
from zen_tui.ui.browser import open_in_browser
from zen_tui.ui.safe import plain
from zen_tui.web_links import refusal

if TYPE_CHECKING:
    # The login stack (httpx, keyring, the OAuth flows) loads when this screen opens, not
    # with the app: the dashboard's first paint never needs it.
    from zen_tui.auth.login import LoginFlow

FlowFactory = Callable[[AccountConfig, str, str | None], "LoginFlow"]

METHOD_HELP = {
    "device": "device flow: enter a code on the website",
    "oauth": "approve in the browser (OAuth)",
    "token": "paste a token (hidden)",
}
# Offered when the config has no accounts yet: the public services (Jira needs its site URL).
DEFAULT_ACCOUNTS = (
    AccountConfig("github", "github", "https://api.github.com"),
    AccountConfig("slack", "slack", "https://slack.com/api"),
)


def ui_flow(account: AccountConfig, method: str, token: str | None) -> LoginFlow:
    """The screen opens the browser itself (App.open_url), so the flow never does."""
    from zen_tui.auth.login import LoginFlow

    return LoginFlow(account, method, token=token, open_browser=None)


@dataclass(frozen=True)
class LoginOutcome:
    account: str
    username: str | None


class LoginScreen(ModalScreen[LoginOutcome | None]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    LoginScreen OptionList { height: auto; max-height: 8; margin-bottom: 1; }
    LoginScreen #login-methods, LoginScreen #login-token { display: none; }
    LoginScreen #login-methods.-shown, LoginScreen #login-token.-shown { display: block; }
    LoginScreen #login-state { height: auto; margin-bottom: 1; }
    LoginScreen #login-state.-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="login-cancel")]

    def __init__(
        self,
        accounts: list[AccountConfig],
        *,
        account: str | None = None,
        flow_factory: FlowFactory = ui_flow,
    ) -> None:
        super().__init__()
        self.configured = bool(accounts)
        self.accounts = accounts or list(DEFAULT_ACCOUNTS)
        self.preselected = account
        self.flow_factory = flow_factory
        self.account: AccountConfig | None = None
        self.method: str | None = None
        self.flow: LoginFlow | None = None
        self.states: list[LoginState] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Log in · esc cancels"
            if not self.configured:
                yield Label("No accounts in the config yet; log in to a public service:")
            yield OptionList(*self._account_options(), id="login-accounts")
            yield OptionList(id="login-methods")
            yield Input(password=True, placeholder="paste the token, enter", id="login-token")
            yield Static(id="login-state")

    @property
    def _configured(self) -> bool:
        return (
            self.accounts is not None
            and self.accounts is not DEFAULT_ACCOUNTS
            and any(a not in DEFAULT_ACCOUNTS for a in self.accounts)
        )

    def _account_options(self) -> list[Option]:
        return [  # the config's words: data, never markup
            Option(plain(f"{a.name}  ({a.service} · {a.base_url})"), id=a.name)
            for a in self.accounts
        ]

    def on_mount(self) -> None:
        names = [a.name for a in self.accounts]
        if self.preselected in names:
            self._choose_account(self.accounts[names.index(self.preselected)])
        else:
            self.query_one("#login-accounts", OptionList).focus()

    # --- choosing --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#login-accounts")
    def _account_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next(a for a in self.accounts if a.name == event.option.id)
        self._choose_account(chosen)

    def _choose_account(self, account: AccountConfig) -> None:
        from zen_tui.auth.login import METHODS, default_method

        self.account = account
        self.query_one("#login-accounts", OptionList).highlighted = self.accounts.index(account)
        methods = self.query_one("#login-methods", OptionList)
        methods.clear_options()
        default = default_method(account)
        for method in METHODS.get(account.service, ("token",)):
            mark = "  (default)" if method == default else ""
            methods.add_option(Option(f"{method}: {METHOD_HELP[method]}{mark}", id=method))
        methods.add_class("-shown")
        methods.highlighted = 0
        methods.focus()
        self._say(f"{account.name}: choose how to log in")

    @on(OptionList.OptionSelected, "#login-methods")
    def _method_selected(self, event: OptionList.OptionSelected) -> None:
        self.method = event.option.id
        if self.method == "token":
            token = self.query_one("#login-token", Input)
            token.add_class("-shown")
            token.focus()
            self._say(f"paste the {self.account.service if self.account else ''} token, enter")
            return
        self._start(None)

    @on(Input.Submitted, "#login-token")
    def _token_submitted(self, event: Input.Submitted) -> None:
        token = event.value.strip()
        event.input.value = ""  # the token lives only in the flow from here on
        if not token:
            self._say("the token is empty: paste it, or press esc", error=True)
            return
        self._start(token)

    # --- running the flow ----------------------------------------------------------------

    def _start(self, token: str | None) -> None:
        if self.account is None or self.method is None:
            return
        if self.flow is not None:
            self.flow.cancel()
        self.flow = self.flow_factory(self.account, self.method, token)
        self._say(f"{self.account.name}: logging in ({self.method})…")
        self._run_flow(self.flow)

    @work(group="login", exclusive=True, exit_on_error=False)
    async def _run_flow(self, flow: LoginFlow) -> None:
        try:
            async for state in flow.run():
                self.states.append(state)
                self._show(state)
                if isinstance(state, LoggedIn):
                    self.dismiss(LoginOutcome(state.account, state.username))
                    return
        except Exception as exc:  # the flow's own errors arrive as LoginFailed; this is a bug
            self._say(f"login stopped: {type(exc).__name__}", error=True)

    def _show(self, state: LoginState) -> None:
        if isinstance(state, DeviceCodeShown):
            self._open(state.verification_uri, from_server=True)
            text = Text.assemble(  # the server's uri and code: Text (not markup), cleaned
                "Enter this code at ",
                (clean(state.verification_uri), "underline"),
                ":\n\n    ",
                (clean(state.user_code), "bold reverse"),
                f"\n\nwaiting for your approval (expires in {state.expires_in / 60:.0f} min)",
            )
            self._state(text)
        elif isinstance(state, WaitingForBrowser):
            opened = self._open(state.url)
            lead = "waiting for the browser" if opened else "open this URL on this machine"
            self._state(Text.assemble(f"{lead}:\n", (clean(state.url), "underline")))
        elif isinstance(state, SlowedDown):
            self.notify(f"the server asked to poll every {state.interval:.0f}s")
        elif isinstance(state, LoginFailed):
            self._say(f"login failed: {state.reason}", error=True)
        elif isinstance(state, LoggedIn):
            who = f" as {state.username}" if state.username else ""
            self._say(f"logged in to {state.account}{who}")

    def _open(self, url: str, from_server: bool = False) -> bool:
        """Open `url`. The device flow's comes from the server: only if it is the service's
        own web page (the OAuth URL is built here, from the config)."""
        account = self.account
        if from_server and account is not None:
            refused = refusal(url, account.service, account.base_url)
            if refused:
                self.notify(refused, severity="warning")
                return False
        return open_in_browser(self.app, url)

    def _say(self, text: str, error: bool = False) -> None:
        self._state(Text(clean(text, multiline=True)), error)  # server reasons: plain Text

    def _state(self, text: Text, error: bool = False) -> None:
        """Show the flow's state; an error in the theme's $error colour (TCSS, not a name)."""
        box = self.query_one("#login-state", Static)
        box.set_class(error, "-error")
        box.update(text)

    def action_cancel(self) -> None:
        if self.flow is not None:
            self.flow.cancel()
        self.dismiss(None)
