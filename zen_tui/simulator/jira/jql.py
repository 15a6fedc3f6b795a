"""A bounded subset of JQL for the Jira simulator's /search/jql.

Supported: fields watcher, project, key (issuekey, issue), status, statusCategory, assignee,
reporter, priority, labels, issuetype (type), parent, sprint, summary, description, comment,
text, created, updated;
operators = != IN, NOT IN, IS [NOT] EMPTY, ~ !~ (text), >= > <= < (dates: "yyyy-MM-dd[ HH:mm]",
-Nw/-Nd/-Nh/-Nm, now(), startOfDay()); AND, OR, NOT and parentheses; currentUser(),
openSprints(), closedSprints(); ORDER BY <field> [ASC|DESC], ... (at most 7).
Anything else is a 400 with an ErrorCollection message, as Jira answers (times are UTC).

Validation, as /search/jql does it (it has no `validateQuery`: always strict): a syntax error
stops the parse and is the one message; a field that does not exist and a value the `known`
vocabulary lacks ("The value 'NOPE' does not exist for the field 'project'.") are collected, so
the 400 lists every one of them, in the order they appear. A project the user may not browse
is not in the vocabulary: Jira answers it exactly as one that does not exist.

Issue keys and sprints are checked too, with Jira's own sentences (errors, so a 400): an issue
key no visible issue has ("An issue with key 'NOPE-1' does not exist for field 'key'."), for
`key`, `issuekey` and its alias `issue` alike, naming the field as written; an id ("A value
with ID '99' ..."); text that is no key ("The issue key 'x' for field 'key' is invalid.");
a sprint ("Sprint with name 'x' does not exist or you do not have permission to view it.").
Sources: Jira's IssueIdValidator (jira.jql.clause.issuekey.noissue / invalidissuekey /
no.value.for.id, all added as errors; its unit test asserts no warnings), and a real server's
answer quoted by a script that looks for the sprint sentence. The legacy /search turned errors
into 200 + `warningMessages` under validateQuery=warn; /search/jql has no such switch.

A user Jira does not know (`assignee = nobody_here`) is NOT an error: Jira's user clauses
report it as a warning ("The value 'nobody_here' does not exist for the field 'assignee'.",
Atlassian's functional test TestUpgradeTask6137 expects it as a search warning; the legacy
/search answered 200 with it in `warningMessages`, psss/did#201) and run the query, the clause
matching nothing. /search/jql's answer (SearchAndReconcileResults) has no field for warnings,
so the simulator answers 200 with what matches, as that endpoint does. POST /jql/parse
(`validate`, `parsed`) is where such a warning shows: the same parser, its findings sorted
into errors and warnings by the validation mode, and a clean query's syntax tree (`structure`)
built as it parses, in the shapes of the spec's JqlQuery schemas.

Functions go only where Atlassian's JQL reference lists them ("Supported fields" and
"Supported operators" of each function): currentUser() on user fields with = != IN NOT IN,
now()/startOfDay() on date fields, the sprint functions on `sprint`. A text clause (`~`, `!~`)
takes a string, never a function: `text ~ currentUser()` is a 400 on Jira Cloud, not a search
for mentions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zen_tui.simulator.jira.model import SPRINTS

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
EQUALITY = {
    "watcher",
    "project",
    "key",
    "issuekey",
    "issue",
    "status",
    "statuscategory",
    "assignee",
    "reporter",
    "priority",
    "labels",
    "issuetype",
    "type",
    "parent",
    "sprint",
}
TEXT = {"summary", "description", "comment", "text"}
KEYS = {"key", "issuekey", "issue"}  # one field, three names (Jira's `issue` is an alias)
_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
USERS = {"assignee", "reporter", "watcher"}
# function -> the fields it may stand in for (Atlassian's "Supported fields")
FUNCTION_FIELDS = {
    "currentuser": USERS,
    "now": {"created", "updated"},
    "startofday": {"created", "updated"},
    "opensprints": {"sprint"},
    "closedsprints": {"sprint"},
}
DATES = {"created", "updated"}
ORDERABLE = {
    "created",
    "updated",
    "priority",
    "key",
    "issuekey",
    "issue",
    "status",
    "summary",
    "assignee",
}
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|!~|=|>|<|~)"""
    r"""|(?P<punct>[(),!])|(?P<word>[^\s"'(),=!<>~]+))"""
)
# Jira's words for a JQL it cannot parse, each beginning "Error in the JQL Query: " and, when a
# token is to blame, ending with where it starts. Sources: Atlassian's REST spec (the example
# answer of POST /rest/api/3/jql/parse, vendored in tests/contracts: the operator sentence), and
# Jira's own parser tests and real answers quoted in public code for the others. A sentence
# "before the end of the query" (or "at the end", for a field name) names no position.
SYNTAX = "Error in the JQL Query: "
VALID_OPERATORS = (
    " The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN',"
    " 'IS' and 'IS NOT'."
)
END_FIELD = f"{SYNTAX}Expecting a field name at the end of the query."
END_OPERATOR = f"{SYNTAX}Expecting operator before the end of the query.{VALID_OPERATORS}"
END_VALUE = f"{SYNTAX}Expecting either a value, list or function before the end of the query."
# Characters JQL reserves that no syntax uses: outside quotes they are an error (Jira's parser
# tests: '{', '}', '#'; the rest from Atlassian's "Reserved characters" list). `+` is left out,
# as the simulator reads `+1d` as a relative date; `.`, `[`, `]` as not confirmed.
RESERVED = frozenset("{}#*/%$@?;|^")
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")

Values = Mapping[str, Any]  # what a predicate reads from one issue (see JiraSim.jql_values)
Predicate = Callable[[Values], bool]


class JqlError(ValueError):
    """A JQL the simulator cannot run; `messages` are the ErrorCollection's errorMessages."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


# field -> the values it may name, lower-cased (the fields whose values Jira checks)
Known = Mapping[str, Collection[str]]


Tree = dict[str, Any]  # a part of /jql/parse's `structure` (the spec's JqlQuery schemas)
Node = tuple[Predicate, Tree]  # a clause: how it matches, and its syntax tree


@dataclass
class Query:
    where: Predicate | None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    # /jql/parse's `structure` (JqlQuery); None where the spec's schemas cannot say it
    structure: Tree | None = None


@dataclass
class _Tok:
    kind: str  # str | op | punct | word
    text: str
    at: str = ""  # " (line 1, character 9)": where it starts, as Jira's syntax errors say

    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def _position(jql: str, offset: int) -> str:
    """Where `offset` is, as Jira's syntax errors say it (both counted from 1)."""
    line_start = jql.rfind("\n", 0, offset) + 1
    return f" (line {jql.count(chr(10), 0, offset) + 1}, character {offset - line_start + 1})"


def tokenize(jql: str) -> list[_Tok]:
    tokens, pos, jql = [], 0, jql.rstrip()
    while pos < len(jql):
        match = _TOKEN.match(jql, pos)
        if not match or match.end() == pos:
            start = len(jql) - len(jql[pos:].lstrip())
            raise JqlError(_unreadable(jql[start:]) + _position(jql, start))
        kind = match.lastgroup or "word"
        text = match.group(kind)
        at = _position(jql, match.start(kind))
        if kind == "word" and (bad := next((c for c in text if c in RESERVED), None)):
            raise JqlError(_reserved(bad) + _position(jql, match.start(kind) + text.index(bad)))
        if kind == "str":
            kind, text = "str", re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(_Tok(kind, text, at))
        pos = match.end()
    return tokens


def _unreadable(rest: str) -> str:
    """Why the tokenizer stopped at the start of `rest`: a quote never closed (every other
    character starts a token). Jira shows the string's line breaks as spaces."""
    text = " ".join(rest[1:].split("\n"))
    if not text:
        return f"{SYNTAX}The quoted string has not been completed."
    return f"{SYNTAX}The quoted string '{text}' has not been completed."


def _reserved(char: str) -> str:
    return (
        f"{SYNTAX}The character '{char}' is a reserved JQL character. You must enclose it in a"
        f" string or use the escape '\\u{ord(char):04x}' instead."
    )


def _got(expecting: str, tok: _Tok, hint: str = "") -> JqlError:
    """Jira's sentence for the wrong token where `expecting` was due."""
    return JqlError(f"{SYNTAX}Expecting {expecting} but got '{tok.text}'.{hint}{tok.at}")


def _quote_it(tok: _Tok, use: str) -> str:
    return f" You must surround '{tok.text}' in quotation marks to use it as {use}."


# What a validation finding is: "error" (a field that does not exist, an issue key, a
# sprint), "value" (a value a checked field lacks: an error to a search, a warning to
# /jql/parse under validation=warn, as the spec's example answers `project = INVALID`), or
# "user" (a user Jira does not know: always a warning).
ERROR, VALUE, USER = "error", "value", "user"


class _Parser:
    def __init__(
        self,
        jql: str,
        now: float,
        me: str,
        known: Known | None = None,
        people: Collection[str] | None = None,
    ) -> None:
        self.toks = tokenize(jql)
        self.i = 0
        self.now = now
        self.me = me
        self.known: Known = known or {}
        self.people = people  # the users JQL may name, lower-cased; None: any
        self.found: list[tuple[str, str]] = []  # (kind, message), all reported together
        self.label = ""  # the clause's field as written: Jira's messages quote it so
        self.operand: Tree = {}  # the syntax tree of the operand value() last read
        self.sayable = True  # False: a form the spec's schemas have no word for (`!~`)

    # -- token helpers --------------------------------------------------------------------
    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self, at_end: str) -> _Tok:
        """The next token; `at_end`: Jira's message when the query has none left."""
        tok = self.peek()
        if tok is None:
            raise JqlError(at_end)
        self.i += 1
        return tok

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.word() == word:
            self.i += 1
            return True
        return False

    def expect_punct(self, char: str) -> None:
        tok = self.next(f"{SYNTAX}Expecting '{char}' before the end of the query.")
        if tok.text != char or tok.kind != "punct":
            raise _got(f"'{char}'", tok)

    # -- grammar --------------------------------------------------------------------------
    def parse(self) -> Query:
        """The query, as a search runs it: every finding but an unknown user is an error."""
        query = self.run()
        errors = [message for kind, message in self.found if kind != USER]
        if errors:
            raise JqlError(*dict.fromkeys(errors))  # each once, in order
        return query

    def run(self) -> Query:
        """The query; a syntax error raises, validation findings are left in `found`."""
        tok = self.peek()
        where = None if tok is None or tok.word() == "order" else self.or_expr()
        order, order_tree = self.order_by()
        extra = self.peek()
        if extra is not None:
            raise _got("either 'OR' or 'AND'", extra)
        structure: Tree = {} if where is None else {"where": where[1]}
        if order_tree:
            structure["orderBy"] = {"fields": order_tree}
        test = None if where is None else where[0]
        return Query(test, order, structure if self.sayable else None)

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.accept("or"):
            parts.append(self.and_expr())
        tests = [p for p, _ in parts]
        return _compound("or", parts, lambda v: any(p(v) for p in tests))

    def and_expr(self) -> Node:
        parts = [self.term()]
        while self.accept("and"):
            parts.append(self.term())
        tests = [p for p, _ in parts]
        return _compound("and", parts, lambda v: all(p(v) for p in tests))

    def term(self) -> Node:
        if self.accept("not"):
            inner, tree = self.term()
            return (lambda v: not inner(v)), {"operator": "not", "clauses": [tree]}
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == "(":
            self.i += 1
            node = self.or_expr()
            self.expect_punct(")")
            return node
        return self.clause()

    def clause(self) -> Node:
        tok = self.next(END_FIELD)
        name = tok.text.lower()
        if tok.kind not in ("word", "str") or name in KEYWORDS:
            raise _got("a field name", tok, _quote_it(tok, "a field name"))
        if name not in EQUALITY | TEXT | DATES:
            self.found.append((ERROR, _no_field(tok.text)))
            op = self.operator()
            self.skip_operand(op)
            test: Predicate = _nothing
        else:
            self.label = tok.text
            op = self.operator()
            test = self.clause_test(name, op)
        self.sayable &= op != "!~"  # FieldValueClause's operators have no `!~`
        return test, {"field": _field_tree(tok.text), "operator": op, "operand": self.operand}

    def clause_test(self, name: str, op: str) -> Predicate:
        """The clause after its field and operator; its operand's tree left in `operand`."""
        if op in ("is", "is not"):
            if not (self.accept("empty") or self.accept("null")):
                raise JqlError("Error in the JQL Query: Expecting EMPTY or NULL after IS.")
            self.operand = dict(EMPTY_OPERAND)
            return _empty(name, negate=op == "is not")
        if op in ("in", "not in"):
            ahead = self.peek()
            opens = ahead is not None and ahead.kind == "punct" and ahead.text == "("
            values = self.value_list(name) if opens else [self.single(name, op)]
            inside = _any_equal(name, values)
            return (lambda v: _present(v, name) and not inside(v)) if op == "not in" else inside
        return self.comparison(name, op)

    def single(self, name: str, op: str) -> Any:
        """IN's operand without a list: a function (IN openSprints()) or, for Jira, an error
        (the words of the spec's /jql/parse example for `summary in test`)."""
        tok, after = self.peek(), self.toks[self.i + 1 : self.i + 2]
        value = self.value(name)
        function = bool(after) and after[0].kind == "punct" and after[0].text == "("
        if tok is not None and not function:
            self.found.append(
                (
                    ERROR,
                    f"Operator '{op}' does not support the non-list value '\"{tok.text}\"'"
                    f" for field '{self.label}'.",
                )
            )
        return value

    def operator(self) -> str:
        tok = self.next(END_OPERATOR)
        if tok.kind == "op":
            return tok.text
        word = tok.word()
        if word == "is":
            return "is not" if self.accept("not") else "is"
        if word == "in":
            return "in"
        if word == "not" and self.accept("in"):
            return "not in"
        raise _got("operator", tok, VALID_OPERATORS)

    def skip_operand(self, op: str) -> None:
        """Read past the operand of a clause on an unknown field: its syntax still counts."""
        if op in ("is", "is not"):
            if not (self.accept("empty") or self.accept("null")):
                raise JqlError("Error in the JQL Query: Expecting EMPTY or NULL after IS.")
            self.operand = dict(EMPTY_OPERAND)
            return
        ahead = self.peek()
        if ahead is not None and ahead.kind == "punct" and ahead.text == "(":
            self.value_list("")
        else:
            self.value("")

    def value(self, name: str) -> Any:
        """The operand's value (its tree in `operand`)."""
        tok = self.next(END_VALUE)
        self.operand = {"value": tok.text, "encodedValue": encoded(tok.text)}
        if tok.kind == "str":
            self.check(name, tok.text)
            return tok.text
        if tok.kind != "word" or tok.word() in KEYWORDS - {"empty", "null"}:
            raise _got("either a value, list or function", tok, _quote_it(tok, "a value"))
        nxt = self.peek()
        if nxt is not None and nxt.kind == "punct" and nxt.text == "(":
            self.i += 1
            end = f"{SYNTAX}Expecting ')' before the end of the query."
            args = []
            while (arg := self.next(end)).text != ")" or arg.kind != "punct":
                if arg.text != "," or arg.kind != "punct":  # no supported function takes any
                    args.append(arg.text)
            self.operand = _function_tree(tok.text, args)
            return self.function(tok.text, name) if name else None  # "": an unknown field
        if tok.word() in ("empty", "null"):
            self.operand = dict(EMPTY_OPERAND)
            return None
        self.check(name, tok.text)
        return tok.text

    def check(self, name: str, value: str) -> None:
        """A value the field's vocabulary lacks is a finding (fields without one take any);
        a user nobody is, a warning."""
        if name in USERS:
            if self.people is not None and value.lower() not in self.people:
                self.found.append((USER, _no_value(value, self.label)))
            return
        allowed = self.known.get(name)
        if allowed is None or value.lower() in allowed:
            return
        if name in KEYS:
            self.found.append((ERROR, _no_issue(value, self.label)))
        elif name == "sprint":
            self.found.append((ERROR, _no_sprint(value)))
        else:
            self.found.append((VALUE, _no_value(value, self.label)))

    def function(self, name: str, field_name: str) -> Any:
        low = name.lower()
        if low not in FUNCTION_FIELDS:
            raise JqlError(f"Error in the JQL Query: the function '{name}' is not supported here.")
        if field_name in TEXT:  # a text search takes a string (Jira: "Supported functions: None")
            raise JqlError(f"The '{field_name}' field searches text, not a function: '{name}()'.")
        if field_name not in FUNCTION_FIELDS[low]:
            raise JqlError(f"Function '{name}' is not supported by the '{field_name}' field.")
        if low == "currentuser":
            return CurrentUser(self.me)
        if low == "now":
            return self.now
        if low == "startofday":
            return self.now - self.now % 86400
        if low in ("opensprints", "closedsprints"):
            state = "active" if low == "opensprints" else "closed"
            return [s.id for s in SPRINTS.values() if s.state == state]
        raise JqlError(f"Error in the JQL Query: the function '{name}' is not supported here.")

    def value_list(self, name: str) -> list[Any]:
        self.expect_punct("(")
        values = [self.value(name)]
        trees = [self.operand]
        while (tok := self.peek()) is not None and tok.text == "," and tok.kind == "punct":
            self.i += 1
            values.append(self.value(name))
            trees.append(self.operand)
        self.expect_punct(")")
        self.operand = {"values": trees, "encodedOperand": _encoded_list(trees)}
        return values

    def comparison(self, name: str, op: str) -> Predicate:
        if name in TEXT and op not in ("~", "!~"):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        value = self.value(name)
        if name in TEXT:
            contains = _contains(name, str(value))
            return contains if op == "~" else (lambda v: not contains(v))
        if name in DATES:
            return _date_compare(name, op, self.date(value))
        if op in ("~", "!~", ">", ">=", "<", "<="):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        if value is None:
            return _empty(name, negate=op == "!=")
        equal = _any_equal(name, [value])
        return equal if op == "=" else (lambda v: _present(v, name) and not equal(v))

    def date(self, value: Any) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip()
        rel = _RELATIVE.match(text)
        if rel:
            sign = -1 if rel.group(1) == "-" else 1
            return self.now + sign * int(rel.group(2)) * _UNIT[rel.group(3)]
        for fmt in _FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{text}' for field '{self.label}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
            "or a period format e.g. '-5d', '4w 2d'."
        )

    def order_by(self) -> tuple[list[tuple[str, bool]], list[Tree]]:
        """(field, descending) of each ORDER BY field, and its JqlQueryOrderByClauseElement."""
        if not self.accept("order"):
            return [], []
        by = self.next(f"{SYNTAX}Expecting 'by' before the end of the query.")
        if by.word() != "by":
            raise _got("'by'", by)
        items = [self.order_item()]
        while (tok := self.peek()) is not None and tok.text == ",":
            self.i += 1
            items.append(self.order_item())
        if len(items) > 7:
            raise JqlError("The ORDER BY clause can't contain more than 7 fields.")
        return [order for order, _ in items], [tree for _, tree in items]

    def order_item(self) -> tuple[tuple[str, bool], Tree]:
        tok = self.next(END_FIELD)
        if tok.kind not in ("word", "str") or tok.word() in KEYWORDS:
            raise _got("a field name", tok, _quote_it(tok, "a field name"))
        name = tok.text.lower()
        if name not in ORDERABLE:
            self.found.append((ERROR, _no_field(tok.text)))
        descending = self.accept("desc")
        direction = descending or self.accept("asc")
        after = self.peek()
        if after is not None and after.text != ",":  # what may follow: a direction, a comma
            raise _got("','" if direction else "either 'ASC' or 'DESC'", after)
        tree: Tree = {"field": _field_tree(tok.text)}
        if direction:  # only as written (the spec's example: `updated DESC` says "desc")
            tree["direction"] = "desc" if descending else "asc"
        return (("key" if name in KEYS else name), descending), tree


# The syntax tree's parts, as the spec's schemas name them (CompoundClause, FieldValueClause,
# JqlQueryField, ValueOperand, ListOperand, FunctionOperand, KeywordOperand) and its example
# answer writes them: a field and a value by name as written and as JQL would quote them.
EMPTY_OPERAND: Tree = {"keyword": "empty"}  # EMPTY and NULL alike (the schema's one keyword)
_PLAIN = re.compile(r"""^[^\s"'(),=!<>~\[\]+{}#*/%$@?;|^]+$""")


def encoded(text: str) -> str:
    """`text` as it can be written in a JQL query: as it is, or quoted (with `"` and `\\`
    escaped) when it holds a space or a character JQL reserves, or is a JQL word."""
    if _PLAIN.match(text) and text.lower() not in KEYWORDS:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field_tree(name: str) -> Tree:
    return {"name": name, "encodedName": encoded(name)}


def _function_tree(name: str, args: list[str]) -> Tree:
    written = ", ".join(map(encoded, args))
    return {"function": name, "arguments": args, "encodedOperand": f"{name}({written})"}


def _encoded_list(values: list[Tree]) -> str:
    parts = [v.get("encodedValue") or v.get("encodedOperand") or "EMPTY" for v in values]
    return "(" + ", ".join(parts) + ")"


def _compound(operator: str, parts: list[Node], test: Predicate) -> Node:
    """One clause as it is; several joined by `operator` (a CompoundClause)."""
    if len(parts) == 1:
        return parts[0]
    return test, {"operator": operator, "clauses": [tree for _, tree in parts]}


def _nothing(v: Values) -> bool:
    """A clause on a field that does not exist (an error, unless validation=none)."""
    return False


def _no_field(name: str) -> str:
    return f"Field '{name}' does not exist or you do not have permission to view it."


def _no_value(value: str, label: str) -> str:
    return f"The value '{value}' does not exist for the field '{label}'."


def _no_issue(value: str, label: str) -> str:
    """Jira's words for an issue the user cannot see or that does not exist, as its
    IssueIdValidator adds them (errors, never warnings, so /search/jql answers 400): a missing
    id, a key of the right shape that no issue has, or text that is no issue key at all. The
    field is named as the clause wrote it (`issue in (...)` says 'issue')."""
    if value.isdigit():
        return f"A value with ID '{value}' does not exist for the field '{label}'."
    if _ISSUE_KEY.match(value):
        return f"An issue with key '{value}' does not exist for field '{label}'."
    return f"The issue key '{value}' for field '{label}' is invalid."


def _no_sprint(value: str) -> str:
    """Jira Software's words for a sprint that does not exist or the user cannot see (seen in
    a real server's answer to `sprint = "<name>"`); by id, the same sentence with `id`."""
    by = "id" if value.isdigit() else "name"
    return f"Sprint with {by} '{value}' does not exist or you do not have permission to view it."


# -- predicates over one issue's values -------------------------------------------------------
def _as_list(v: Values, name: str) -> list[str]:
    raw = v.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple | set) else [raw]
    return [str(item).lower() for item in items]


def _present(v: Values, name: str) -> bool:
    return bool(_as_list(v, name))


def _empty(name: str, *, negate: bool) -> Predicate:
    return lambda v: _present(v, name) if negate else not _present(v, name)


def _any_equal(name: str, values: list[Any]) -> Predicate:
    # A function such as openSprints() stands for several values.
    flat = [y for x in values for y in (x if isinstance(x, list) else [x])]
    wanted = {str(x).lower() for x in flat if x is not None}
    allow_empty = any(x is None for x in values)
    return lambda v: (
        bool(wanted.intersection(_as_list(v, name))) or (allow_empty and not _present(v, name))
    )


def _contains(name: str, query: str) -> Predicate:
    words = [w for w in re.split(r"\W+", query.lower()) if w]
    fields = ("summary", "description", "comment") if name == "text" else (name,)

    def match(v: Values) -> bool:
        haystack = " ".join(str(v.get(f) or "") for f in fields).lower()
        return bool(words) and all(w in haystack for w in words)

    return match


class CurrentUser(str):
    """currentUser()'s account id: equal to it as a value."""


def _date_compare(name: str, op: str, bound: float) -> Predicate:
    tests: dict[str, Callable[[float], bool]] = {
        ">=": lambda t: t >= bound,
        ">": lambda t: t > bound,
        "<=": lambda t: t <= bound,
        "<": lambda t: t < bound,
        "=": lambda t: int(t) // 60 == int(bound) // 60,
        "!=": lambda t: int(t) // 60 != int(bound) // 60,
    }
    if op not in tests:
        raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
    test = tests[op]
    return lambda v: v.get(name) is not None and test(float(v[name]))


def parse(
    jql: str,
    *,
    now: float,
    me: str,
    bounded: bool = True,
    known: Known | None = None,
    people: Collection[str] | None = None,
) -> Query:
    """Parse `jql`; with `bounded`, a query without any restriction is rejected as Jira does;
    with `known`, a value outside a field's vocabulary is Jira's "does not exist" error.
    `people` is accepted for a like call to `validate`: an unknown user is never an error."""
    query = _Parser(jql or "", now, me, known, people).parse()
    if bounded and query.where is None:
        raise JqlError(UNBOUNDED)
    return query


VALIDATIONS = ("strict", "warn", "none")


def validate(
    jql: str,
    mode: str,
    *,
    now: float,
    me: str,
    known: Known | None = None,
    people: Collection[str] | None = None,
) -> tuple[list[str], list[str]]:
    """What POST /jql/parse says of `jql` under `mode` (one of VALIDATIONS): (errors,
    warnings). A syntax error is the one error in every mode; `none` checks nothing else;
    `strict` reports a missing value as an error, `warn` as a warning (the spec's example
    answer: `project = INVALID` warned, `universe = 42` an error); an unknown user is a
    warning in both. An unbounded query is fine here: only a search refuses it."""
    answer = parsed(jql, mode, now=now, me=me, known=known, people=people)
    return list(answer.get("errors", [])), list(answer.get("warnings", []))


def parsed(
    jql: str,
    mode: str,
    *,
    now: float,
    me: str,
    known: Known | None = None,
    people: Collection[str] | None = None,
) -> dict[str, Any]:
    """POST /jql/parse's answer for one query (the spec's ParsedJqlQuery): the query, its
    `errors` and `warnings` (see validate), each only when there is one, and its syntax tree
    (`structure`, a JqlQuery) when there is neither, as the spec's example answers: its two
    clean queries carry one, its warned and refused ones none. A query using `!~`, which the
    spec's FieldValueClause has no operator for, comes back without one too."""
    answer: dict[str, Any] = {"query": jql}
    try:
        parser = _Parser(jql or "", now, me, known, people)
        query = parser.run()
    except JqlError as exc:
        answer["errors"] = list(exc.messages)
        return answer
    found = [] if mode == "none" else parser.found
    demoted = {USER, VALUE} if mode == "warn" else {USER}
    errors = list(dict.fromkeys(m for kind, m in found if kind not in demoted))
    warnings = list(dict.fromkeys(m for kind, m in found if kind in demoted))
    if errors:
        answer["errors"] = errors
    if warnings:
        answer["warnings"] = warnings
    if not found and query.structure is not None:
        answer["structure"] = query.structure
    return answer
