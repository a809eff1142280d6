"""skloss estimators inside the scikit-learn toolbox, and input formats."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_multilabel_classification,
)
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skloss import (
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import Huber, Pinball


def _diabetes():
    return load_diabetes(return_X_y=True)


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


TIGHT = {"tol": 1e-10, "max_iter": 10_000}
CASES = [
    (lambda: LinearGaussianRegressor(alpha=1e-3, **TIGHT), _diabetes),
    (lambda: MedianRegressor(), _diabetes),
    (lambda: LinearRegressor(loss=Huber(delta=20.0), **TIGHT), _diabetes),
    (lambda: SigmoidClassifier(alpha=1e-2, **TIGHT), lambda: _scaled(load_breast_cancer)),
    (lambda: SoftmaxClassifier(alpha=1e-2, **TIGHT), lambda: _scaled(load_iris)),
]
IDS = ["gaussian", "median", "huber", "sigmoid", "softmax"]


@pytest.mark.parametrize("make_model, load", CASES, ids=IDS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_model(make_model, load, fmt):
    X, y = load()
    dense = make_model().fit(X, y)
    sparse = make_model().fit(scipy.sparse.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        sparse.predict(scipy.sparse.csr_matrix(X)), dense.predict(X), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("make_model, load", CASES, ids=IDS)
def test_float32_input_gives_nearly_the_float64_model(make_model, load):
    X, y = load()
    model64 = make_model().fit(X, y)
    model32 = make_model().set_params(tol=1e-5).fit(X.astype(np.float32), y)
    # float32 products limit the attainable accuracy; compare the objective.
    assert model32.objective_ <= model64.objective_ * (1 + 1e-4) + 1e-6
    assert model32.predict(X.astype(np.float32)).shape == model64.predict(X).shape


def test_float32_X_is_not_copied_to_float64_during_fit(monkeypatch):
    X, y = _scaled(load_breast_cancer)
    X32 = np.asarray(X, dtype=np.float32)
    seen = []
    import skloss._core._data as data_module

    original = data_module.InMemoryRows.__init__

    def spy(self, X, *args, **kwargs):
        seen.append(X)
        original(self, X, *args, **kwargs)

    monkeypatch.setattr(data_module.InMemoryRows, "__init__", spy)
    SigmoidClassifier().fit(X32, y)
    assert seen[0].dtype == np.float32
    assert np.shares_memory(seen[0], X32)


def test_dataframe_sets_feature_names_in():
    X, y = _diabetes()
    columns = [f"feature_{i}" for i in range(X.shape[1])]
    model = LinearGaussianRegressor().fit(pd.DataFrame(X, columns=columns), y)
    np.testing.assert_array_equal(model.feature_names_in_, columns)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


def test_pipeline_with_scaler_and_grid_search_over_loss_strings_objects_and_alpha():
    X, y = _diabetes()
    rng = np.random.default_rng(0)
    y = y + np.where(rng.random(len(y)) < 0.05, 500.0, 0.0)  # outliers
    pipeline = make_pipeline(StandardScaler(), LinearRegressor())
    grid = GridSearchCV(
        pipeline,
        {
            "linearregressor__loss": ["squared_error", "absolute_error", Huber(delta=30.0)],
            "linearregressor__alpha": [0.0, 1e-2],
        },
        scoring="neg_mean_absolute_error",
        cv=3,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 6
    # With 5% gross outliers and an MAE score, the squared error must lose.
    assert grid.best_params_["linearregressor__loss"] != "squared_error"
    # The parameter given by the user is untouched; the fitted loss is a copy.
    best = grid.best_estimator_[-1]
    assert best.loss == grid.best_params_["linearregressor__loss"]
    assert best.loss_ is not best.loss


def test_grid_search_over_a_loss_parameter_with_double_underscore():
    X, y = _diabetes()
    grid = GridSearchCV(
        LinearRegressor(loss=Pinball()), {"loss__quantile": [0.25, 0.5, 0.75]}, cv=3
    )
    grid.fit(X, y)
    assert [p["loss__quantile"] for p in grid.cv_results_["params"]] == [0.25, 0.5, 0.75]
    # Grid search clones: the template's loss is never modified.
    assert grid.estimator.loss.quantile == 0.5


def test_cross_val_score_on_a_classifier_pipeline():
    X, y = load_iris(return_X_y=True)
    scores = cross_val_score(make_pipeline(StandardScaler(), SoftmaxClassifier()), X, y, cv=5)
    assert scores.mean() > 0.9


@pytest.mark.parametrize("make_model, load", CASES, ids=IDS)
def test_clone_and_pickle_round_trip(make_model, load):
    X, y = load()
    model = make_model().fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    fresh = clone(model)
    assert not hasattr(fresh, "coef_")
    assert fresh.get_params() == model.get_params()


def test_fit_does_not_mutate_a_loss_object_parameter():
    X, y = _diabetes()
    loss = Pinball(quantile=0.3)
    model = LinearRegressor(loss=loss).fit(X, y)
    assert model.loss is loss
    assert loss.get_params() == {"quantile": 0.3}
    loss.set_params(quantile=0.9)
    # Changing the user's object later cannot change the fitted model.
    assert model.loss_.quantile == 0.3


def test_multilabel_sigmoid_fits_one_independent_logistic_model_per_label():
    X, Y = make_multilabel_classification(n_samples=300, n_features=5, n_classes=3, random_state=0)
    joint = SigmoidClassifier(alpha=1e-2, **TIGHT).fit(X, Y)
    assert joint.predict(X).shape == Y.shape
    assert joint.predict_proba(X).shape == Y.shape
    for j in range(Y.shape[1]):
        single = SigmoidClassifier(alpha=1e-2, **TIGHT).fit(X, Y[:, j])
        np.testing.assert_allclose(joint.coef_[j], single.coef_[0], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(
            joint.predict_proba(X)[:, j], single.predict_proba(X)[:, 1], rtol=1e-6
        )
    assert joint.score(X, Y) > 0.3  # subset accuracy on 3 labels


def test_predict_proba_is_consistent_with_predict_log_proba_and_decision_function():
    X, y = _scaled(load_breast_cancer)
    model = SigmoidClassifier().fit(X, y)
    logit = model.decision_function(X)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-logit)))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), model.predict_proba(X))
    X, y = _scaled(load_iris)
    model = SoftmaxClassifier().fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        model.classes_[model.predict_proba(X).argmax(1)], model.predict(X)
    )


def test_log_proba_stays_finite_for_extreme_logits():
    X = np.array([[-1.0], [1.0], [-2.0], [2.0]])
    model = SigmoidClassifier(alpha=1e-4).fit(X, [0, 1, 0, 1])
    far = np.array([[-1e6], [1e6]])
    log_proba = model.predict_log_proba(far)
    assert np.all(np.isfinite(log_proba))
    assert log_proba[0, 1] < -1e5 and log_proba[1, 0] < -1e5


def test_string_labels_round_trip_for_both_classifiers():
    X, y = _scaled(load_iris)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = SoftmaxClassifier().fit(X, names)
    assert set(model.predict(X)) <= set(names)
    binary = np.where(y == 0, "yes", "no")
    model = SigmoidClassifier().fit(X, binary)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    assert model.score(X, binary) == 1.0
