"""The error hierarchy keeps one constructor and one repr although only the classes that add
a field are dataclasses (the rest inherit them: cheaper at start)."""

from __future__ import annotations

import dataclasses

import pytest

from zen_tui.gateway import errors

ERRORS = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.GatewayError)
]


def test_every_error_class_is_listed() -> None:
    # ItemGone: Slack says the channel or message is not there; LoginReplaced: a read refused
    # by a gateway a new login replaced; VersionRefused: the pinned API version is not served
    assert len(ERRORS) == 18


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_a_field_declared_on_a_subclass_reaches_its_constructor(cls: type) -> None:
    # A subclass that declares a field without @dataclass would silently ignore it.
    declared = {n for c in cls.__mro__ for n in vars(c).get("__annotations__", {})}
    assert declared == {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_keyword_only_constructor_one_line_message_and_named_repr(cls: type) -> None:
    err = cls(service="github", account="gh", endpoint="/x", status=410, message="gone")
    assert err.args == (str(err),) and str(err).startswith("github: ")
    assert repr(err).startswith(f"{cls.__name__}(service='github', account='gh', method=''")
    assert err != cls(service="github", account="gh", endpoint="/x", status=410, message="gone")
    with pytest.raises(TypeError):
        cls("github", "gh")


def test_deadline_exceeded_keeps_its_budget() -> None:
    err = errors.DeadlineExceeded(service="jira", account="j", budget=2.5)
    assert err.budget == 2.5 and str(err) == "jira: gave up after 2.5s"
    assert repr(err).endswith("message='', nothing_sent=False, budget=2.5)")
