"""The serializers ML ops save their models with: each round-trips what it is made for."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from chariots_core.errors import BackendError
from chariots_core.ml.serializers import (
    BaseSerializer,
    CSVSerializer,
    DillSerializer,
    JoblibSerializer,
    JSONSerializer,
)


def _round_trip(serializer: BaseSerializer, value: Any) -> Any:
    data = serializer.serialize_object(value)
    assert isinstance(data, bytes)
    return serializer.deserialize_object(data)


def test_json_round_trips_json_values_as_utf8_text() -> None:
    value = {"words": ["été", "b"], "n": 3, "ratio": 0.5, "ok": True, "none": None}
    assert _round_trip(JSONSerializer(), value) == value
    assert JSONSerializer().serialize_object([1, "a"]) == b'[1, "a"]'


def test_json_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        JSONSerializer().serialize_object({1, 2})


def test_dill_round_trips_what_pickle_cannot() -> None:
    offset = 3

    def shift(value: int) -> int:
        return value + offset

    restored = _round_trip(DillSerializer(), {"shift": shift, "square": lambda x: x * x})
    assert restored["shift"](1) == 4
    assert restored["square"](3) == 9


def test_joblib_round_trips_a_fitted_estimator() -> None:
    data = np.arange(20.0).reshape(10, 2)
    model = PCA(n_components=1).fit(data)
    restored = _round_trip(JoblibSerializer(), model)
    np.testing.assert_allclose(restored.transform(data), model.transform(data))


def test_csv_round_trips_a_data_frame_without_its_index() -> None:
    frame = pd.DataFrame({"x": [1, 2], "label": ["a", "b"]}, index=[10, 20])
    data = CSVSerializer().serialize_object(frame)
    assert data.decode("utf-8").splitlines() == ["x,label", "1,a", "2,b"]
    restored = CSVSerializer().deserialize_object(data)
    pd.testing.assert_frame_equal(restored, frame.reset_index(drop=True))


def test_csv_serializes_only_data_frames() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        CSVSerializer().serialize_object([[1, 2]])


@pytest.mark.parametrize(
    ("serializer", "module", "extra"),
    [(DillSerializer, "dill", "dill"), (CSVSerializer, "pandas", "pandas")],
)
def test_a_missing_library_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, serializer: type[BaseSerializer], module: str, extra: str
) -> None:
    built = serializer()  # building one needs nothing: the library is imported when used
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(BackendError, match=rf"chariots-core\[{extra}\]"):
        built.serialize_object(pd.DataFrame())
    assert issubclass(BackendError, ImportError)


def test_a_serializer_of_ones_own_subclasses_base_serializer() -> None:
    with pytest.raises(TypeError):
        BaseSerializer()  # type: ignore[abstract]

    class Upper(BaseSerializer):
        def serialize_object(self, target: Any) -> bytes:
            return str(target).upper().encode()

        def deserialize_object(self, serialized_object: bytes) -> Any:
            return serialized_object.decode().lower()

    assert _round_trip(Upper(), "abc") == "abc"
