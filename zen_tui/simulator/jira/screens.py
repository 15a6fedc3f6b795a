"""Jira transition screens: the fields a POST .../transitions must set for a transition that
has one (a "Resolve" screen requires the resolution, a "Defer" one the due date), and the 400
when they are missing or malformed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from zen_tui.simulator.jira.model import RESOLUTIONS, Transition


def resolution_id(ref: Any) -> str | None:
    """A resolution given as {"id": ...} or {"name": ...} (Jira takes either), or None."""
    if not isinstance(ref, dict):
        return None
    if str(ref.get("id") or "") in RESOLUTIONS:
        return str(ref["id"])
    name = str(ref.get("name") or "").casefold()
    return next((rid for rid, shown in RESOLUTIONS.items() if shown.casefold() == name), None)


def screen_values(t: Transition, fields: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(values to set, errors by field) for a transition's `fields`. Jira's messages: a field
    the screen lacks "cannot be set", a required one left out "is required"."""
    given = fields if isinstance(fields, dict) else {}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in given:
        if name not in t.screen:
            errors[name] = (
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            )
    if "resolution" in t.screen:
        if given.get("resolution") is None:
            errors["resolution"] = "Resolution is required."
        else:
            found = resolution_id(given["resolution"])
            if found is None:
                errors["resolution"] = "Specify a valid resolution (by id or name)."
            else:
                values["resolution"] = found
    if "duedate" in t.screen:
        due = given.get("duedate")
        if due is None:
            errors["duedate"] = "Due date is required."
        elif not is_date(due):
            errors["duedate"] = "Error parsing date string: use yyyy-MM-dd."
        else:
            values["duedate"] = due
    return values, errors


def is_date(value: Any) -> bool:
    """A yyyy-MM-dd date (a due date set by an edit or on a transition's screen)."""
    try:
        datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        return False
    return True
