"""`stable_repr`: text for field values that does not change from one run to the next."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from chariots_core.versioning import VersionType, stable_repr


def _function():
    return None


class _Plain:
    pass


class _WithStableRepr:
    def __repr__(self):
        return "WithStableRepr(3)"


class _LikeAnEstimator:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def get_params(self, deep=True):
        return {"alpha": self.alpha}


@dataclasses.dataclass
class _Settings:
    name: str
    size: int


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, 2),
        (1, "1"),
        (1, 1.0),
        (True, 1),
        (None, "None"),
        (b"ab", "ab"),
        ([1, 2], (1, 2)),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": 2}),
        (PCA, StandardScaler),
        (PCA(n_components=2), PCA(n_components=3)),
        (_Settings("a", 1), _Settings("a", 2)),
        (VersionType.MAJOR, VersionType.MINOR),
    ],
)
def test_different_values_have_different_text(left, right):
    assert stable_repr(left) != stable_repr(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({3, 1, 2}, {2, 3, 1}),
        (frozenset({"x", "y"}), frozenset({"y", "x"})),
        (PCA(n_components=2), PCA(n_components=2)),
        (_Settings("a", 1), _Settings("a", 1)),
        (_LikeAnEstimator(2.0), _LikeAnEstimator(2.0)),
    ],
)
def test_equal_values_have_the_same_text(left, right):
    assert stable_repr(left) == stable_repr(right)


def test_classes_and_functions_are_named_by_module_and_qualname():
    assert stable_repr(PCA) == "sklearn.decomposition._pca.PCA"
    assert stable_repr(_Plain) == f"{__name__}._Plain"
    assert stable_repr(_function) == f"{__name__}._function"
    assert "0x" not in stable_repr(_Plain)


def test_estimators_are_named_by_class_and_params():
    text = stable_repr(PCA(n_components=2))
    assert text.startswith("sklearn.decomposition._pca.PCA(")
    assert "n_components" in text
    assert "0x" not in text


def test_nested_estimators_are_read_through_their_params():
    first = stable_repr(make_pipeline(StandardScaler(), PCA(n_components=2)))
    second = stable_repr(make_pipeline(StandardScaler(), PCA(n_components=3)))
    assert first != second
    assert "0x" not in first


def test_floats_keep_their_full_precision():
    assert stable_repr(0.1) != stable_repr(0.1 + 1e-15)
    assert stable_repr(math.inf) == "inf"


def test_objects_with_a_stable_repr_are_accepted():
    assert "WithStableRepr(3)" in stable_repr(_WithStableRepr())


@pytest.mark.parametrize(
    "value",
    [
        object(),
        _Plain(),
        [1, _Plain()],
        {"key": _Plain()},
        functools.partial(_function),
        PCA(random_state=np.random.RandomState(0)),
        np.array([object()]),
    ],
    ids=["object", "instance", "in-list", "in-dict", "partial", "estimator-param", "array"],
)
def test_values_whose_repr_holds_a_memory_address_are_refused(value):
    with pytest.raises(TypeError, match="memory address"):
        stable_repr(value)


def test_large_arrays_are_named_by_all_their_data():
    # numpy's repr elides the middle of arrays of more than 1000 items
    left = np.zeros(2000)
    right = left.copy()
    right[1000] = 1.0
    assert repr(left) == repr(right)
    assert stable_repr(left) != stable_repr(right)
    assert stable_repr(left) == stable_repr(np.zeros(2000))
    assert "0x" not in stable_repr(left)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (np.zeros(4), np.zeros((2, 2))),
        (np.zeros(4), np.zeros(4, dtype=np.float32)),
        (np.array(["a", "b"], dtype=object), np.array(["a", "c"], dtype=object)),
    ],
)
def test_arrays_differing_in_shape_dtype_or_items_differ(left, right):
    assert stable_repr(left) != stable_repr(right)
