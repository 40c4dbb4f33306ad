"""Behaviours of the original chariots that chariots_core keeps (see the upgrade page)."""

from __future__ import annotations

from typing import Any

import pytest

from chariots_core.errors import ChariotsError, VersionError
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.callbacks import OpCallBack
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp, LoadableOp
from chariots_core.pipelines.runners import SequentialRunner


class AddOne(BaseOp):
    def execute(self, value: int) -> int:
        return value + 1


class MyCamelCaseOp(LoadableOp):
    def execute(self) -> int:
        return 1

    def serialize(self) -> bytes:
        return b""

    def load(self, serialized_object: bytes) -> None:
        pass


class Named(BaseOp):
    op_name = "Chosen_Name"

    def execute(self) -> int:
        return 1


def test_version_error_is_a_type_error_and_a_chariots_error() -> None:
    assert issubclass(VersionError, TypeError)
    assert issubclass(VersionError, ChariotsError)
    assert VersionError.http_status == 419
    with pytest.raises(TypeError):
        raise VersionError("retrain")


def test_ops_are_named_after_their_class_in_lower_case() -> None:
    assert AddOne().name == "addone"
    assert MyCamelCaseOp().name == "mycamelcaseop"
    assert Node(AddOne()).name == "addone"
    assert Pipeline(
        [Node(AddOne(), ["__pipeline_input__"])], "p"
    ).get_pipeline_versions().keys() == {"addone"}


def test_an_op_name_set_on_the_class_is_kept_as_it_is() -> None:
    assert Named().name == "Chosen_Name"


def test_allow_version_change_defaults_as_in_the_original() -> None:
    assert AddOne().allow_version_change is False
    assert MyCamelCaseOp().allow_version_change is False


def test_allow_version_change_can_be_overridden_as_a_property_as_in_the_original() -> None:
    class Lenient(AddOne):
        @property
        def allow_version_change(self) -> bool:  # type: ignore[override]
            return True

    assert Lenient().allow_version_change is True
    assert Node(Lenient()).allow_version_change is True


def test_before_and_after_execution_run_around_execute_before_the_callbacks() -> None:
    calls: list[tuple[object, ...]] = []

    class Traced(AddOne):
        def before_execution(self, args: list[Any]) -> None:
            calls.append(("op before", list(args)))

        def after_execution(self, args: list[Any], output: Any) -> None:
            calls.append(("op after", list(args), output))

    class Watch(OpCallBack):
        def before_execution(self, op: BaseOp, args: list[Any]) -> None:
            calls.append(("callback before", op.name))

        def after_execution(self, op: BaseOp, args: list[Any], output: Any) -> None:
            calls.append(("callback after", op.name, output))

    pipeline = Pipeline(
        [Node(Traced([Watch()]), ["__pipeline_input__"], "__pipeline_output__")], "p"
    )
    assert SequentialRunner().run(pipeline, 1) == 2
    assert calls == [
        ("op before", [1]),
        ("callback before", "traced"),
        ("op after", [1], 2),
        ("callback after", "traced", 2),
    ]


def test_the_base_hooks_do_nothing() -> None:
    assert AddOne().execute_with_all_callbacks([1]) == 2
    assert AddOne().before_execution([1]) is None
    assert AddOne().after_execution([1], 2) is None
