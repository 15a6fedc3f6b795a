"""Text longer than a service takes, refused before it is sent (light: `zen-tui act` checks
an action with it before anything heavier is loaded)."""

from __future__ import annotations

# GitHub's limits (its 422 Validation Failed past them, as clients report it: "body is too
# long (maximum is 65536 characters)" for an issue, "Body is too long ..." for a comment,
# "title is too long (maximum is 256 characters)"; PyGithub#1906, renovatebot/renovate#2032,
# DavyJonesLocker/party_foul#122).
GITHUB_BODY_MAX = 65_536
GITHUB_TITLE_MAX = 256
# Jira's limit on a text field's value, a comment's body too (its 400 past it, as clients
# report it: "The entered text is too long. It exceeds the allowed limit of 32767
# characters." for a comment, bhaalsen/gitmerger#9; CONTENT_LIMIT_EXCEEDED for a v3
# description past 32,767 characters, JRACLOUD-78553).
JIRA_TEXT_MAX = 32_767
# What a service takes is counted as sent: the hidden marker is part of a comment's body.
MARKER_ADDED = "with the hidden marker zen-tui adds"


class TooLong(ValueError):
    """Text longer than a service takes (a Slack message, a GitHub issue's body): refused
    before it is sent, saying by how much to shorten it."""


def within(text: str, limit: int, what: str, adds: str = "", after: str = "") -> str:
    """`text`, or TooLong: "`what`: N characters as sent (`adds`), at most `limit`; shorten
    it by M`after`". The count is of what goes out (code points, as the services count), so
    `adds` says what zen-tui put in besides what was typed (a hidden marker, escaping)."""
    if len(text) > limit:
        added = f" ({adds})" if adds else ""
        raise TooLong(
            f"{what}: {len(text):,} characters as sent{added}, at most {limit:,}; "
            f"shorten it by {len(text) - limit:,}{after}"
        )
    return text
