"""GraphQL validation worded as GitHub words it (its server is graphql-ruby).

graphql-core checks the same things GitHub does; a client reads GitHub's words, though: an
argument the field does not define, a field the type lacks, a required argument left out, a
literal of the wrong type. Each refusal here carries GitHub's `message`, its
`extensions.code` and details, the argument's or field's `locations`, and a `path` from the
operation ("query", "query Name", "mutation") down through response keys (an alias if
given) and inline fragments ("... on PullRequest"), as answers GitHub sent show:

    {"path": ["query", "repository", "defaultBranchRef", "target", "... on Commit",
              "history", "orderBy"],
     "extensions": {"code": "argumentNotAccepted", "name": "history", "typeName": "Field",
                    "argumentName": "orderBy"},
     "locations": [{"line": 7, "column": 49}],
     "message": "Field 'history' doesn't accept argument 'orderBy'"}

Other refusals (an unknown variable, a selection missing on an object) keep graphql-core's
words: GitHub's for them are not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    Undefined,
    ValueNode,
    VariableNode,
    VisitorAction,
    is_required_argument,
    print_ast,
    specified_rules,
    value_from_ast,
)
from graphql.language import SKIP, Visitor, visit
from graphql.validation import (
    ASTValidationRule,
    FieldsOnCorrectTypeRule,
    KnownArgumentNamesRule,
    ProvidedRequiredArgumentsRule,
    ValuesOfCorrectTypeRule,
)

__all__ = ["GITHUB_RULES"]


def _step(node: Any) -> str | None:
    """What a node adds to an error's path, as graphql-ruby spells it."""
    if isinstance(node, OperationDefinitionNode):
        name = f" {node.name.value}" if node.name else ""
        return f"{node.operation.value}{name}"
    if isinstance(node, FragmentDefinitionNode):
        return f"fragment {node.name.value}"
    if isinstance(node, FieldNode):
        return (node.alias or node.name).value
    if isinstance(node, InlineFragmentNode):
        on = node.type_condition
        return f"... on {on.name.value}" if on else "..."
    return None


def _path(ancestors: Sequence[Any], *last: str) -> list[str]:
    steps = [s for s in map(_step, ancestors) if s is not None]
    return [*steps, *last]


def _refusal(message: str, node: Node, path: list[str], **extensions: str) -> GraphQLError:
    return GraphQLError(message, node, path=path, extensions=extensions)


class ArgumentNotAccepted(KnownArgumentNamesRule):
    """An argument the field does not define: GitHub's `argumentNotAccepted`."""

    def enter_argument(self, node: ArgumentNode, *args: Any) -> None:
        field_def = self.context.get_field_def()
        if self.context.get_argument() or not field_def or not self.context.get_parent_type():
            return
        field: FieldNode = args[3][-1]
        name, arg = field.name.value, node.name.value
        self.report_error(
            _refusal(
                f"Field '{name}' doesn't accept argument '{arg}'",
                node,
                _path(args[3], arg),
                code="argumentNotAccepted",
                name=name,
                typeName="Field",
                argumentName=arg,
            )
        )


class UndefinedField(FieldsOnCorrectTypeRule):
    """A field the type lacks: GitHub's `undefinedField`."""

    def enter_field(self, node: FieldNode, *args: Any) -> None:
        parent = self.context.get_parent_type()
        if not parent or self.context.get_field_def():
            return
        name = node.name.value
        self.report_error(
            _refusal(
                f"Field '{name}' doesn't exist on type '{parent.name}'",
                node,
                _path([*args[3], node]),
                code="undefinedField",
                typeName=parent.name,
                fieldName=name,
            )
        )


class MissingRequiredArguments(ProvidedRequiredArgumentsRule):
    """Required arguments left out, all named in one error: `missingRequiredArguments`."""

    def leave_field(self, node: FieldNode, *args: Any) -> VisitorAction:
        field_def = self.context.get_field_def()
        if not field_def:
            return SKIP
        given = {a.name.value for a in node.arguments or ()}
        missing = [
            n for n, a in field_def.args.items() if n not in given and is_required_argument(a)
        ]
        if missing:
            names = ", ".join(missing)
            self.report_error(
                _refusal(
                    f"Field '{node.name.value}' is missing required arguments: {names}",
                    node,
                    _path([*args[3], node]),
                    code="missingRequiredArguments",
                    className="Field",
                    name=node.name.value,
                    arguments=names,
                )
            )
        return None


class ArgumentLiteralsIncompatible(ValuesOfCorrectTypeRule):
    """A field argument's literal of the wrong type (`states: [FOO]`), one error for the whole
    argument as GitHub gives it: `argumentLiteralsIncompatible`. Values holding a variable,
    and those in directives and variable defaults, are left to graphql-core's checks."""

    def enter_argument(self, node: ArgumentNode, *args: Any) -> VisitorAction:
        arg_def = self.context.get_argument()
        field_def = self.context.get_field_def()
        if not arg_def or not field_def or self.context.get_directive() or _has_variable(node):
            return None
        if value_from_ast(node.value, arg_def.type) is not Undefined:
            return None
        field: FieldNode = args[3][-1]
        name, arg = field.name.value, node.name.value
        self.report_error(
            _refusal(
                f"Argument '{arg}' on Field '{name}' has an invalid value "
                f"({print_ast(node.value)}). Expected type '{arg_def.type}'.",
                node,
                _path(args[3], arg),
                code="argumentLiteralsIncompatible",
                typeName="Field",
                argumentName=arg,
            )
        )
        return SKIP  # its parts: graphql-core would say each again in its own words


class _FindsVariable(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, *_args: Any) -> None:
        self.found = True


def _has_variable(node: ArgumentNode) -> bool:
    value: ValueNode = node.value
    if isinstance(value, VariableNode):
        return True
    finder = _FindsVariable()
    visit(value, finder)
    return finder.found


_REPLACED = {
    KnownArgumentNamesRule: ArgumentNotAccepted,
    FieldsOnCorrectTypeRule: UndefinedField,
    ProvidedRequiredArgumentsRule: MissingRequiredArguments,
    ValuesOfCorrectTypeRule: ArgumentLiteralsIncompatible,
}
# graphql-core's rules, those GitHub words otherwise replaced by its wording.
GITHUB_RULES: tuple[type[ASTValidationRule], ...] = tuple(
    _REPLACED.get(rule, rule) for rule in specified_rules
)
