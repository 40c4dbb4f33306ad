"""ML ops: modes, training versions, scikit-learn ops and their serialization."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _iris_ops import LogisticOp, PCAOp
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from chariots_core.ml import BaseMLOp, MLMode
from chariots_core.ml.sklearn import SKSupervisedOp, SKUnsupervisedOp
from chariots_core.pipelines.callbacks import OpCallBack
from chariots_core.pipelines.ops import LoadableOp
from chariots_core.versioning import Version, VersionedField, VersionedFieldDict, VersionType


@pytest.fixture(scope="module")
def iris():
    data = load_iris()
    return data.data, data.target


def _differing_parts(left: Version, right: Version) -> set[str]:
    return {
        name
        for name, a, b in zip(("major", "minor", "patch"), left.hashes, right.hashes, strict=True)
        if a != b
    }


class Counter(BaseMLOp):
    """A tiny ML op: "fitting" counts the examples, predicting adds the count."""

    training_update_version = VersionType.MINOR

    def __init__(self, mode, op_callbacks=None):
        super().__init__(mode, op_callbacks)
        self.count = 0

    def fit(self, values):
        self.count = len(values)

    def predict(self, values):
        return [value + self.count for value in values]

    def serialize(self):
        return str(self.count).encode()

    def load(self, serialized_object):
        self.count = int(serialized_object)


def test_ml_ops_are_loadable_ops():
    assert issubclass(BaseMLOp, LoadableOp)
    assert issubclass(SKSupervisedOp, BaseMLOp)
    assert issubclass(SKUnsupervisedOp, BaseMLOp)


def test_the_mode_must_be_an_ml_mode():
    with pytest.raises(TypeError, match="MLMode"):
        Counter("fit")


def test_fit_fits_and_returns_nothing():
    op = Counter(MLMode.FIT)
    assert op.execute([1, 2, 3]) is None
    assert op.count == 3


def test_predict_uses_without_fitting():
    op = Counter(MLMode.PREDICT)
    op.count = 10
    assert op.execute([1, 2]) == [11, 12]
    assert op.count == 10
    assert op.training_version is None


def test_fit_predict_fits_then_predicts():
    op = Counter(MLMode.FIT_PREDICT)
    assert op.execute([1, 2]) == [3, 4]
    assert op.training_version is not None


def test_an_unfitted_op_has_no_training_version():
    op = Counter(MLMode.FIT)
    assert op.training_version is None


@pytest.mark.parametrize("version_type", list(VersionType))
def test_each_fit_changes_only_the_part_named_by_training_update_version(version_type):
    op = type("Op", (Counter,), {"training_update_version": version_type})(MLMode.FIT)
    versions = [op.op_version]
    for _ in range(3):
        op.execute([1, 2])
        versions.append(op.op_version)
    assert len(set(versions)) == 4
    for before, after in itertools.pairwise(versions):
        assert _differing_parts(before, after) == {version_type.value}


@pytest.mark.parametrize("version_type", list(VersionType))
def test_a_fit_changes_the_training_version_s_named_part(version_type):
    op = type("Op", (Counter,), {"training_update_version": version_type})(MLMode.FIT)
    op.execute([1])
    first = op.training_version
    op.execute([1])
    assert _differing_parts(first, op.training_version) == {version_type.value}
    assert op.training_version.creation_time >= first.creation_time


def test_the_op_version_combines_class_and_training_versions():
    op = Counter(MLMode.FIT)
    op.execute([1])
    assert op.op_version == Counter.__version__ + op.training_version
    # the class version is not changed by fits
    assert Counter.__version__ == type(op).__version__
    assert Counter(MLMode.FIT).op_version != op.op_version


def test_only_predict_mode_refuses_version_changes():
    assert Counter(MLMode.FIT).allow_version_change
    assert Counter(MLMode.FIT_PREDICT).allow_version_change
    assert not Counter(MLMode.PREDICT).allow_version_change


def test_op_callbacks_see_ml_executions():
    seen = []

    class Seen(OpCallBack):
        def after_execution(self, op, args, output):
            seen.append((op.mode, output))

    op = Counter(MLMode.FIT_PREDICT, op_callbacks=[Seen()])
    op.execute_with_all_callbacks([[5]])
    assert seen == [(MLMode.FIT_PREDICT, [6])]


# -- scikit-learn -----------------------------------------------------------------------------


def test_sk_ops_build_their_model_from_class_and_parameters():
    op = PCAOp(MLMode.FIT)
    assert isinstance(op.model, PCA)
    assert op.model.n_components == 2


def test_an_sk_op_without_model_class_is_refused():
    class NoModel(SKSupervisedOp):
        pass

    with pytest.raises(TypeError, match="model_class"):
        NoModel(MLMode.FIT)


def test_unsupervised_fit_then_transform(iris):
    x, _ = iris
    op = PCAOp(MLMode.FIT_PREDICT)
    transformed = op.execute(x)
    assert transformed.shape == (150, 2)
    np.testing.assert_allclose(transformed, PCA(n_components=2).fit(x).transform(x))


def test_supervised_fit_then_predict(iris):
    x, y = iris
    op = LogisticOp(MLMode.FIT)
    assert op.execute(x, y) is None
    op.mode = MLMode.PREDICT
    assert (op.execute(x) == y).mean() > 0.9


def test_supervised_fit_predict_predicts_on_the_features(iris):
    x, y = iris
    predictions = LogisticOp(MLMode.FIT_PREDICT).execute(x, y)
    assert predictions.shape == y.shape


def test_each_fit_starts_from_a_new_model(iris):
    x, _ = iris
    op = PCAOp(MLMode.FIT)
    op.execute(x)
    first = op.model
    op.execute(x[:50])
    assert op.model is not first
    assert first.n_samples_ == 150


def test_fit_extra_parameters_reach_the_estimator(iris):
    x, y = iris

    class Weighted(SKSupervisedOp):
        model_class = LogisticRegression
        model_parameters = VersionedFieldDict(VersionType.MAJOR, {"max_iter": 500})
        fit_extra_parameters = {"sample_weight": np.where(y == 0, 0.0, 1.0)}

    op = Weighted(MLMode.FIT)
    op.execute(x, y)
    assert op.model.max_iter == 500
    assert 0 not in set(op.model.predict(x))


def test_serialize_and_load_round_trip_unsupervised(iris):
    x, _ = iris
    trained = PCAOp(MLMode.FIT)
    trained.execute(x)
    fresh = PCAOp(MLMode.PREDICT)
    fresh.load(trained.serialize())
    assert fresh.model is not trained.model
    np.testing.assert_array_equal(fresh.execute(x), trained.model.transform(x))


def test_serialize_and_load_round_trip_supervised(iris):
    x, y = iris
    trained = LogisticOp(MLMode.FIT)
    trained.execute(x, y)
    fresh = LogisticOp(MLMode.PREDICT)
    fresh.load(trained.serialize())
    assert fresh.model is not trained.model
    np.testing.assert_array_equal(fresh.execute(x), trained.model.predict(x))
    np.testing.assert_array_equal(fresh.model.coef_, trained.model.coef_)


def test_serialized_bytes_are_bytes_and_an_untrained_model_round_trips():
    op = PCAOp(MLMode.FIT)
    data = op.serialize()
    assert isinstance(data, bytes)
    other = PCAOp(MLMode.PREDICT)
    other.load(data)
    assert other.model.get_params() == op.model.get_params()


def test_iris_ops_versions():
    # the tutorial's ops: a PCA whose fit changes MAJOR, a logistic whose fit changes PATCH
    assert PCAOp.training_update_version is VersionType.MAJOR
    assert LogisticOp.training_update_version is VersionType.PATCH
    assert PCAOp.__version__.major != LogisticOp.__version__.major

    class ThreeComponents(PCAOp):
        model_parameters = VersionedFieldDict(VersionType.MAJOR, {"n_components": 3})

    class OtherModel(PCAOp):
        model_class = VersionedField(LogisticRegression, VersionType.MAJOR)

    class Tolerance(PCAOp):
        tol = VersionedField(0.1, VersionType.MINOR)

    assert _differing_parts(PCAOp.__version__, ThreeComponents.__version__) == {"major"}
    assert _differing_parts(PCAOp.__version__, OtherModel.__version__) == {"major"}
    assert _differing_parts(PCAOp.__version__, Tolerance.__version__) == {"minor"}
