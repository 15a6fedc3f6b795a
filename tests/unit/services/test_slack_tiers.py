"""Slack's rate tiers are written once (gateway/profiles.SLACK_TIERS, from each method's
reference page): the gateway's scope for a call and the Slack client's are the same, every
Web API method zen-tui calls has its documented tier there, and the simulator serves each at
that tier. Before, the gateway and the client each had a table, and they disagreed
(auth.test, chat.postMessage and chat.getPermalink were "default" to the gateway and
"special" to the client: two buckets for one method)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import zen_tui
from zen_tui.gateway.profiles import SLACK_TIERS, profile_for
from zen_tui.gateway.settings import DEFAULT_BUCKETS
from zen_tui.models import Action, Message

from .conftest import section

ROOT = Path(zen_tui.__file__).parent
# Where zen-tui names a Slack Web API method: the client, its parser, the login's identity.
CALLERS = ("services/slack.py", "services/slack_parse.py", "auth/identity.py")
# Slack's documented tiers of the methods zen-tui calls (and the simulator serves), with source.
TIERS_EXCERPT = "slack-api-specs/rate-tiers/method-tiers.json"
METHOD = re.compile(r"^/?(auth|conversations|users|chat|reactions|search)\.[a-z][A-Za-z]*$")


def methods_named() -> set[str]:
    found: set[str] = set()
    for rel in CALLERS:
        for node in ast.walk(ast.parse((ROOT / rel).read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and METHOD.match(text):
                found.add(text.lstrip("/"))
    return found


def test_every_method_zen_tui_names_has_its_tier_and_no_other_is_listed() -> None:
    named = methods_named()
    assert "chat.postMessage" in named and "auth.test" in named  # the scan finds them
    assert named == set(SLACK_TIERS)


def test_every_tier_has_a_budget() -> None:
    """A tier the gateway has no rate for would fall back to "default" unseen; "special"
    methods have limits of their own, which the default (50 a minute) stays under."""
    buckets = DEFAULT_BUCKETS["slack"]
    assert {t for t in SLACK_TIERS.values() if t != "special"} <= set(buckets)
    assert buckets["default"][0] / buckets["default"][1] <= 1.0  # <= chat.postMessage's 1/s


def sim_tier(tier: int | str) -> str:
    return f"tier{tier}" if isinstance(tier, int) else "special"  # "post": per channel


def documented_tiers(contracts: Path) -> dict[str, str]:
    """Slack's documented tier of each method, as the copied excerpt names it ("Tier2",
    "SpecialTier_auth_test"), in the table's terms ("tier2", "special")."""
    excerpt = json.loads((contracts / TIERS_EXCERPT).read_text())
    return {
        method: "special" if name.startswith("SpecialTier_") else name.lower()
        for method, name in excerpt["tiers"].items()
    }


def test_each_method_has_the_tier_slack_documents_and_the_simulator_serves_it(
    contracts: Path,
) -> None:
    """A tier written from memory (reactions.remove's was) is checked against Slack's own
    list: a wrong one paces a method faster than Slack allows, or needlessly slower. The
    simulator limits every method it serves at its documented tier too."""
    from zen_tui.simulator.core.world import World
    from zen_tui.simulator.slack.service import SlackSim

    documented = documented_tiers(contracts)
    assert set(SLACK_TIERS) <= set(documented)  # the excerpt covers every method called
    for method, tier in SLACK_TIERS.items():
        assert tier == documented[method], method
    served = SlackSim(World(seed=1, size=10), "token").methods
    assert set(served) - {"oauth.v2.access"} <= set(documented)
    for method, served_at in served.items():
        assert sim_tier(served_at.tier) == documented[method], method


async def test_each_call_the_client_makes_uses_the_gateway_s_scope_at_the_served_tier(
    sim: Any, sim_client: Any
) -> None:
    """Every operation of the Slack client against the simulator: each request's method is
    in the table, its scope is the one the gateway computes for its path, and the
    simulator limits it at that tier."""
    client = sim_client("slack")
    scopes: dict[str, str] = {}
    real = client.gateway.request

    async def spy(method: str, path: str, **kwargs: Any) -> Any:
        scopes[path] = kwargs["scope"]
        return await real(method, path, **kwargs)

    client.gateway.request = spy
    listing = await client.fetch_section(section("slack", "#dev", pane="messages"), limit=5)
    message = listing.items[0]
    assert isinstance(message, Message)
    await client.fetch_section(section("slack", "mentions", pane="messages"), limit=5)
    await client.details(message)
    await client.exists(message)
    await client.permalink(message.channel_id, message.ts)
    await client.share_targets()
    reply = Action(kind="reply", item_id=message.id, account="slack", params={"text": "ok"})
    react = Action(kind="react", item_id=message.id, account="slack", params={"name": "eyes"})
    assert (await client.apply(reply, idempotency_key="tiers-1")).ok
    assert (await client.apply(react, idempotency_key="tiers-2")).ok
    unreact = Action(kind="unreact", item_id=message.id, account="slack", params=react.params)
    assert (await client.apply(unreact, idempotency_key="tiers-3")).ok

    served = sim.world.services["slack"].methods
    assert {path.lstrip("/") for path in scopes} == set(SLACK_TIERS)  # all of them called
    for path, scope in scopes.items():
        name = path.lstrip("/")
        gateway_scope = profile_for("slack").scope_for("POST", path)
        assert scope == gateway_scope == f"{SLACK_TIERS[name]}:{name}"
        assert sim_tier(served[name].tier) == SLACK_TIERS[name], name
