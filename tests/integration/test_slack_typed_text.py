"""Slack text end to end on the simulator, through the commands: what `act post` sends shows
in `list` exactly as it was typed, and a colleague's escaped text and labelled links read
decoded, never as markup or terminal control."""

from __future__ import annotations

import argparse

from tests.hostile_text import forbidden_in
from zen_tui.cli import safe_output
from zen_tui.commands import act, list_items, sync
from zen_tui.services.markers import strip_zw

TYPED = "1<2 && 3>2, &lt;!here&gt; is not <!here>"


def listed(settings, capsys) -> str:
    sync.run(argparse.Namespace(once=True), settings)
    capsys.readouterr()
    with safe_output():  # as `zen-tui list` prints
        assert (
            list_items.run(argparse.Namespace(pane="messages", json=False, account=None), settings)
            == 0
        )
    return capsys.readouterr().out


def test_a_typed_post_lists_as_typed_and_a_colleagues_text_decoded(sim, settings, capsys):
    slack = sim.world.services["slack"]
    dev = next(c for c in slack.channels.values() if c.name == "dev")
    ts = next(ts for ts, m in dev.messages.items() if not m.is_reply)
    item = f"{sim.account('slack').name}:{dev.id}:{ts}"
    assert (
        act.run(argparse.Namespace(kind="post", item=item, params={"body": TYPED}), settings) == 0
    )
    slack.integration_post(
        "#dev",
        "ci-bot",
        "&lt;[b]not bold[/b]&gt; <https://x.test/?a=1&amp;b=2|the [red]doc> \x1b[2J",
    )

    [sent] = [strip_zw(m.text) for m in dev.messages.values() if m.text.startswith("1&lt;2")]
    assert sent == "1&lt;2 &amp;&amp; 3&gt;2, &amp;lt;!here&amp;gt; is not &lt;!here&gt;"
    out = listed(settings, capsys)
    assert TYPED in out  # not "1<2 && 3>2, <!here> is not @here"
    assert "<[b]not bold[/b]> the [red]doc" in out and not forbidden_in(out)
