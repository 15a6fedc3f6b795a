"""Custom commands: a shell template filled with an item's fields, quoted so server text can
never become shell syntax.

`{title}` in `echo {title}` becomes one shell word whatever the title holds (`$(rm -rf ~)`,
quotes, newlines): every value goes through `shlex.quote`. That only holds while a field
stands outside quotes in the template (`"{title}"` would put the quoted value inside double
quotes, where `$(...)` runs again) and outside a here-document (whose body expands
`$(...)` whatever the quotes), so `check_template` refuses those, and an unknown field, when
the config is read. A template that hands a field to `eval` or `sh -c` runs it: that is the
template's choice. No Textual import: the config checks templates too.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path

from zen_tui.models import Issue, Item, Message, PullRequest, url_of

# The fields a template may name, per pane (what the pane's items carry).
COMMON_FIELDS = ("key", "url", "title", "account", "service", "id", "path")
PANE_FIELDS: dict[str, tuple[str, ...]] = {
    "prs": (*COMMON_FIELDS, "repo", "number", "branch", "author", "state"),
    "issues": (*COMMON_FIELDS, "repo", "number", "project", "status", "assignee"),
    "messages": (*COMMON_FIELDS, "channel", "channel_id", "author", "ts", "text"),
}
ALL_FIELDS = tuple(dict.fromkeys(f for fields in PANE_FIELDS.values() for f in fields))


class TemplateError(ValueError):
    """A template zen-tui will not run; `str()` says what is wrong and how to fix it."""


class MissingField(ValueError):
    """The item has no value for a field the template names (a Jira issue has no `{repo}`)."""


def template_fields(template: str) -> list[str]:
    """The field names a template uses, in order: `gh pr checkout {number}` -> ["number"]."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone `{` or `}`
        raise TemplateError(f"{exc}; write a literal brace as {{{{ or }}}}") from None
    names = []
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion:
            raise TemplateError(f"write fields as plain names like {{number}}, not {{{name}}}")
        names.append(name)
    return names


def check_template(template: str, pane: str | None) -> None:
    """Unknown fields, and fields inside quotes, are errors (see the module docstring)."""
    allowed = PANE_FIELDS[pane] if pane else ALL_FIELDS
    for name in template_fields(template):
        if name not in allowed:
            where = f"the {pane} pane's items" if pane else "items"
            raise TemplateError(f"unknown field {{{name}}}; {where} have: {', '.join(allowed)}")
    if "<<" in template and template_fields(template):  # a here-document expands `$(...)`
        raise TemplateError("fields cannot go into a here-document (<<); pass them as arguments")
    quoted = _quoted_field(template)
    if quoted:
        raise TemplateError(
            f"{{{quoted}}} is inside quotes; write it bare: zen-tui quotes every value itself"
        )


def _quoted_field(template: str) -> str | None:
    """The first field that sits inside '...' or "..." (shell quoting rules), else None."""
    quote: str | None = None
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\" and quote != "'":  # an escaped character (not inside '...')
            i += 2
            continue
        if template[i : i + 2] in ("{{", "}}"):  # a literal brace
            i += 2
            continue
        if char == "{":
            end = template.find("}", i)
            if end < 0:
                return None  # template_fields reports the lone brace
            if quote is not None:
                return template[i + 1 : end]
            i = end + 1
            continue
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        i += 1
    return None


def item_fields(item: Item, repo_paths: Mapping[str, Path]) -> dict[str, str]:
    """Every field the item has a value for ("" = none). `path`: the repo's local checkout."""
    fields = {
        "key": item.key,
        "url": url_of(item),
        "title": item.title,
        "account": item.account,
        "service": item.service,
        "id": item.id,
    }
    if isinstance(item, PullRequest):
        fields |= {
            "repo": item.repo,
            "number": str(item.number or ""),
            "branch": item.branch,
            "author": item.author,
            "state": item.state,
        }
    elif isinstance(item, Issue):
        fields |= {
            "repo": item.repo or "",
            "number": str(item.number or ""),
            "project": item.project or "",
            "status": item.status,
            "assignee": item.assignee or "",
        }
    elif isinstance(item, Message):
        fields |= {
            "channel": item.channel,
            "channel_id": item.channel_id,
            "author": item.author,
            "ts": item.ts,
            "text": item.text,
        }
    path = repo_paths.get(fields.get("repo", ""))
    fields["path"] = str(path) if path else ""
    return fields


def render(template: str, fields: Mapping[str, str]) -> str:
    """The command line: each field's value shell-quoted. MissingField names what is empty."""
    import shlex  # here: the config imports this module to check templates, not to run them

    values: dict[str, str] = {}
    for name in template_fields(template):
        value = fields.get(name, "")
        if not value:
            raise MissingField(name)
        values[name] = shlex.quote(value)
    return template.format_map(values)
