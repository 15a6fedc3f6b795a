"""GitHub issue search's query syntax as advanced search reads it, the default for every issue
search since 2025-09-04 (GitHub changelog 2025-03-06, "API support for issues advanced search";
the REST `advanced_search` parameter is no longer needed).

What the syntax means, from GitHub's docs ("Filtering and searching issues and pull requests",
"Building advanced filters"; "REST API endpoints for search"):
- terms separated by spaces are ANDed, except the ownership qualifiers `repo:`, `org:` and
  `user:`, which are ORed with each other (`repo:a/x repo:a/y` searches both);
- `AND` and `OR` (upper case) combine terms; parentheses group them, at most five levels deep,
  and may not hold `repo:`, `org:` or `user:`;
- a query with more than five `AND`, `OR` or `NOT` operators is refused ("Validation Failed");
- `-qualifier:value` excludes, `NOT word` excludes a word;
- `label:a,b` is a label OR (the comma syntax), `label:a label:b` an AND.

This module only parses; what a term means for an item is the caller's (state.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

OWNERSHIP = ("repo", "org", "user")
OPERATORS = ("AND", "OR", "NOT")
MAX_OPERATORS = 5
MAX_DEPTH = 5
# "Queries longer than 256 characters are not supported" when searching across GitHub (docs,
# "Troubleshooting search queries"; REST reference "Search", "Limitations on query length"),
# REST and GraphQL search alike; refused in the words clients report for REST (release-it#1147,
# git-pr-release#103, tagpr#177: 422 Validation Failed with this error).
MAX_QUERY = 256
TOO_LONG_MESSAGE = f"The search is longer than {MAX_QUERY} characters."

T = TypeVar("T")


class BadQuery(ValueError):
    """A query GitHub refuses as a whole (422 Validation Failed); the message says why."""


@dataclass(frozen=True)
class Term:
    """One word or qualifier; `negated` for a leading `-` on a qualifier."""

    key: str  # lower case; "" for a plain word
    value: str  # quotes removed
    negated: bool = False

    @property
    def owner(self) -> bool:
        return self.key in OWNERSHIP


@dataclass(frozen=True)
class Node:
    """`op` is "term" (then `term` is set), "and", "or" or "not"."""

    op: str
    children: tuple[Node, ...] = ()
    term: Term | None = None

    def terms(self) -> Iterator[Term]:
        if self.term is not None:
            yield self.term
        for child in self.children:
            yield from child.terms()


def words(query: str) -> list[str]:
    """The query split on spaces and parentheses; a double-quoted part stays in its word (its
    quotes kept) and an unbalanced quote runs to the end, as GitHub reads it."""
    out: list[str] = []
    word, quoted = "", False
    for ch in query:
        if ch == '"':
            quoted = not quoted
            word += ch
        elif quoted:
            word += ch
        elif ch.isspace() or ch in "()":
            if word:
                out.append(word)
            word = ""
            if ch in "()":
                out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def term(word: str) -> Term:
    negated = word.startswith("-") and ":" in word
    key, sep, value = word.removeprefix("-").partition(":") if negated else word.partition(":")
    if not sep:
        return Term("", word.replace('"', ""))
    return Term(key.lower(), value.replace('"', ""), negated)


def parse(query: str) -> Node:
    """The query as a tree; raises BadQuery where GitHub would refuse it."""
    tokens = words(query)
    operators = sum(1 for t in tokens if t in OPERATORS)
    if operators > MAX_OPERATORS:
        raise BadQuery(f"more than {MAX_OPERATORS} AND, OR or NOT operators")
    parser = _Parser(tokens)
    tree = parser.expression(0)
    if parser.pos < len(tokens):  # a `)` with no `(`: GitHub's parser refuses it
        raise BadQuery("unbalanced parentheses")
    return _owners_ored(tree)


def _owners_ored(tree: Node) -> Node:
    """Top-level `repo:`/`org:`/`user:` terms are ORed with each other, ANDed with the rest."""
    parts = tree.children if tree.op == "and" else (tree,)
    owners = [p for p in parts if p.term is not None and p.term.owner and not p.term.negated]
    if len(owners) < 2:
        return tree
    rest = tuple(p for p in parts if p not in owners)
    return Node("and", (Node("or", tuple(owners)), *rest))


class _Parser:
    """expression := conjunction (OR conjunction)*; conjunction := unary ([AND] unary)*;
    unary := NOT unary | ( expression ) | term."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self, depth: int) -> Node:
        parts = [self.conjunction(depth)]
        while self.peek() == "OR":
            self.pos += 1
            parts.append(self.conjunction(depth))
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts))

    def conjunction(self, depth: int) -> Node:
        parts: list[Node] = []
        while (token := self.peek()) not in (None, ")", "OR"):
            if token == "AND":
                self.pos += 1
                continue
            parts.append(self.unary(depth))
        if not parts:
            return Node("and")  # nothing: matches everything, as an empty AND does
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts))

    def unary(self, depth: int) -> Node:
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "NOT":
            if self.peek() in (None, ")", "OR", "AND"):
                return Node("term", term=Term("", "NOT"))  # a trailing NOT is a word
            return Node("not", (self.unary(depth),))
        if token != "(":
            found = term(token)
            if found.owner and depth > 0:
                raise BadQuery(f"{found.key}: cannot be used inside parentheses")
            return Node("term", term=found)
        if depth + 1 > MAX_DEPTH:
            raise BadQuery(f"parentheses nested more than {MAX_DEPTH} levels deep")
        inner = self.expression(depth + 1)
        if self.peek() != ")":
            raise BadQuery("unbalanced parentheses")
        self.pos += 1
        return inner


def compile_tree(
    node: Node, leaf: Callable[[Term], Callable[[T], bool] | None]
) -> Callable[[T], bool]:
    """The tree as one test on T; `leaf` makes a term's test (None: a term GitHub ignores)."""
    if node.term is not None:
        made = leaf(node.term)
        return made if made is not None else (lambda _x: True)
    tests = [compile_tree(c, leaf) for c in node.children]
    if node.op == "not":
        return lambda x: not tests[0](x)
    if node.op == "or":
        return lambda x: any(t(x) for t in tests)
    return lambda x: all(t(x) for t in tests)


# The `is:` values that keep a search to one kind; `is:pr` is the short form of
# `is:pull-request` (GitHub's "Search only issues or pull requests").
ONE_TYPE = ("issue", "pull-request", "pr")


def one_type(tree: Node) -> bool:
    """The query names `is:issue` or `is:pull-request` (not negated), as GitHub requires of a
    GitHub App's user access token, which may not search issues and PRs together."""
    terms = tree.terms()
    return any(t.key == "is" and not t.negated and t.value.lower() in ONE_TYPE for t in terms)
