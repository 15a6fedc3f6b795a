"""A test acting as the user's browser: load the authorize page, submit its form, follow the
redirect to the loopback listener. Called by the flows from a worker thread, like
webbrowser.open."""

from __future__ import annotations

import html
import re

import httpx

from zen_tui.config import AccountConfig
from zen_tui.simulator.server import SimulatorServer

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


class FakeBrowser:
    def __init__(
        self, decision: str = "allow", forge_state: bool = False, forge_first: bool = False
    ) -> None:
        self.decision = decision
        self.forge_state = forge_state
        self.forge_first = forge_first  # an attacker's redirect reaches the listener first
        self.forged: httpx.Response | None = None
        self.opened: list[str] = []
        self.callback: httpx.Response | None = None

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        with httpx.Client(timeout=10) as browser:
            page = browser.get(url)
            page.raise_for_status()
            form = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(page.text)}
            answer = browser.post(url, data={**form, "decision": self.decision})
            location = answer.headers["location"]
            forged = re.sub(r"state=[^&]+", "state=forged-by-attacker", location)
            if self.forge_first:
                self.forged = browser.get(re.sub(r"code=[^&]+", "code=attackers-code", forged))
            if self.forge_state:
                location = forged
            self.callback = browser.get(location)
        return True


def sim_account(sim: SimulatorServer, service: str) -> AccountConfig:
    acc = sim.account(service)
    email = acc.username if service == "jira" else None
    return AccountConfig(name=service, service=service, base_url=acc.base_url, email=email)
