"""The metaclass: each op class's ``__version__`` comes from its versioned fields."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import (
    Version,
    VersionedField,
    VersionedFieldDict,
    VersionedMeta,
    VersionType,
    class_version,
)


class _Op(BaseOp):
    def execute(self, *args, **kwargs):
        return None


def _op_class(**fields):
    return type("SomeOp", (_Op,), dict(fields))


def _differing_parts(left: Version, right: Version) -> set[str]:
    return {
        name
        for name, a, b in zip(("major", "minor", "patch"), left.hashes, right.hashes, strict=True)
        if a != b
    }


def test_every_op_class_gets_a_version():
    assert isinstance(_Op.__version__, Version)
    assert isinstance(_Op, VersionedMeta)
    assert _Op().op_version == _Op.__version__


def test_a_class_without_versioned_fields_has_the_empty_version():
    assert _op_class(plain=3).__version__ == Version()


def test_the_same_fields_give_the_same_version_whatever_their_order():
    first = _op_class(
        a=VersionedField(1, VersionType.MAJOR), b=VersionedField("x", VersionType.MINOR)
    )
    second = _op_class(
        b=VersionedField("x", VersionType.MINOR), a=VersionedField(1, VersionType.MAJOR)
    )
    assert first.__version__ == second.__version__


@pytest.mark.parametrize("version_type", list(VersionType))
def test_a_changed_field_changes_only_its_own_part(version_type):
    old = _op_class(field=VersionedField(1, version_type))
    new = _op_class(field=VersionedField(2, version_type))
    assert _differing_parts(old.__version__, new.__version__) == {version_type.value}


@pytest.mark.parametrize("version_type", list(VersionType))
def test_a_changed_dict_item_changes_only_the_dict_default_part(version_type):
    old = _op_class(params=VersionedFieldDict(version_type, {"n": 1, "m": "a"}))
    new = _op_class(params=VersionedFieldDict(version_type, {"n": 2, "m": "a"}))
    assert _differing_parts(old.__version__, new.__version__) == {version_type.value}


def test_a_dict_item_given_as_a_field_affects_its_own_part():
    def op(value):
        return _op_class(
            params=VersionedFieldDict(
                VersionType.MAJOR, {"n": 1, "tol": VersionedField(value, VersionType.PATCH)}
            )
        )

    assert _differing_parts(op(0.1).__version__, op(0.2).__version__) == {"patch"}


def test_a_field_renamed_changes_the_version():
    old = _op_class(alpha=VersionedField(1, VersionType.MINOR))
    new = _op_class(beta=VersionedField(1, VersionType.MINOR))
    assert old.__version__ != new.__version__


def test_fields_read_as_their_values_on_the_class_and_instances():
    klass = _op_class(
        model_class=VersionedField(PCA, VersionType.MAJOR),
        model_parameters=VersionedFieldDict(VersionType.MAJOR, {"n_components": 2}),
    )
    for owner in (klass, klass()):
        assert owner.model_class is PCA
        assert owner.model_parameters == {"n_components": 2}
        assert dict(**owner.model_parameters) == {"n_components": 2}
        assert set(owner.model_parameters.version_dict) == {"n_components"}


def test_inherited_fields_count_and_the_most_derived_definition_wins():
    class Parent(_Op):
        inherited = VersionedField(1, VersionType.MAJOR)
        overridden = VersionedField("parent", VersionType.MINOR)

    class Child(Parent):
        overridden = VersionedField("child", VersionType.MINOR)

    class Same(_Op):
        inherited = VersionedField(1, VersionType.MAJOR)
        overridden = VersionedField("child", VersionType.MINOR)

    assert Child.__version__ == Same.__version__
    assert Child.overridden == "child"
    assert _differing_parts(Parent.__version__, Child.__version__) == {"minor"}
    # the parent's version is not touched by the child's definition
    assert Parent.__version__ == class_version(Parent)


def test_a_subclass_that_changes_a_major_field_changes_major():
    class Parent(_Op):
        n = VersionedField(1, VersionType.MAJOR)

    class Child(Parent):
        n = VersionedField(2, VersionType.MAJOR)

    assert Parent.__version__.major != Child.__version__.major


def test_a_field_shadowed_by_a_plain_attribute_stops_counting():
    class Parent(_Op):
        n = VersionedField(1, VersionType.MAJOR)

    class Child(Parent):
        n = 1

    assert Child.__version__ == Version()


def test_a_mixin_s_fields_count():
    class Mixin:
        tokenizer = VersionedField("word", VersionType.MAJOR)

    class WithMixin(Mixin, _Op):
        pass

    assert (
        WithMixin.__version__
        == _op_class(tokenizer=VersionedField("word", VersionType.MAJOR)).__version__
    )


def test_class_keywords_reach_init_subclass():
    class Flavoured(_Op):
        def __init_subclass__(cls, flavour="plain", **kwargs):
            super().__init_subclass__(**kwargs)
            cls.flavour = flavour

    class Sweet(Flavoured, flavour="sweet"):
        size = VersionedField(1, VersionType.MAJOR)

    assert Sweet.flavour == "sweet"
    assert Sweet.__version__ == _op_class(size=VersionedField(1, VersionType.MAJOR)).__version__


def test_a_field_whose_repr_holds_a_memory_address_is_refused():
    with pytest.raises(TypeError, match="memory address"):
        _op_class(thing=VersionedField(object(), VersionType.MAJOR))


def test_a_field_item_whose_repr_holds_a_memory_address_is_refused():
    with pytest.raises(TypeError, match="memory address"):
        _op_class(params=VersionedFieldDict(VersionType.MINOR, {"thing": object()}))


def test_classes_are_versioned_by_name():
    assert (
        _op_class(m=VersionedField(PCA, VersionType.MAJOR)).__version__
        != _op_class(m=VersionedField(LogisticRegression, VersionType.MAJOR)).__version__
    )


def test_estimators_are_versioned_by_their_params():
    def op(estimator):
        return _op_class(model=VersionedField(estimator, VersionType.MAJOR))

    assert op(PCA(n_components=2)).__version__ == op(PCA(n_components=2)).__version__
    assert op(PCA(n_components=2)).__version__ != op(PCA(n_components=3)).__version__


def test_affected_version_must_be_a_version_type():
    with pytest.raises(TypeError, match="VersionType"):
        VersionedField(1, "major")
    with pytest.raises(TypeError, match="VersionType"):
        VersionedFieldDict("major", {"a": 1})


def test_versioned_field_dict_is_a_read_only_mapping_of_values():
    params = VersionedFieldDict(VersionType.MAJOR, {"a": 1}, b=VersionedField(2, VersionType.PATCH))
    assert dict(params) == {"a": 1, "b": 2}
    assert len(params) == 2
    assert params["b"] == 2
    fields = params.versioned_fields()
    assert fields["a"].affected_version is VersionType.MAJOR
    assert fields["b"].affected_version is VersionType.PATCH


_MODULE = """
import numpy as np

from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionedMeta, VersionType


class Normalize:
    pass


class Estimator:  # scikit-learn's protocol, without the cost of importing scikit-learn twice
    def __init__(self, n_components=2, inner=None):
        self.n_components = n_components
        self.inner = inner

    def get_params(self, deep=True):
        return {"n_components": self.n_components, "inner": self.inner}


def tokenize(text):
    return text.split()


class MyOp(metaclass=VersionedMeta):
    model_class = VersionedField(Estimator, VersionType.MAJOR)
    estimator = VersionedField(Estimator(3, inner=Estimator(4)), VersionType.MAJOR)
    params = VersionedFieldDict(
        VersionType.MINOR,
        {"n": 2, "ratio": 0.5, "names": {"b", "a", "c"}, "by": {"z": 1, "y": (1, None)}},
    )
    helper = VersionedField(Normalize, VersionType.PATCH)
    tokenizer = VersionedField(tokenize, VersionType.PATCH)
    kind = VersionedField(VersionType.MAJOR, VersionType.MINOR)
    weights = VersionedField(np.arange(2000) / 7, VersionType.MAJOR)


print(MyOp.__version__.major, MyOp.__version__.minor, MyOp.__version__.patch)
"""


def test_the_same_class_has_the_same_hashes_in_two_interpreter_runs(tmp_path):
    module = tmp_path / "versioned_module.py"
    module.write_text(textwrap.dedent(_MODULE))
    runs = []
    for seed in ("1", "2"):  # different string hashing (and set order) in each run
        result = subprocess.run(
            [sys.executable, str(module)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=120,
        )
        runs.append(result.stdout.split())
    assert len(runs[0]) == 3
    assert all(len(part) == 40 for part in runs[0])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3
