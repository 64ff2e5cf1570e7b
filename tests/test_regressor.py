"""MLPRegularizedRegressor: outputs, shapes, targets."""

import numpy as np
import pytest
import reference_mlp as ref
from conftest import make_problem
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import r2_score

from skreg import MLPRegularizedRegressor

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@ignore_convergence
@pytest.mark.parametrize("task", ["regression", "multioutput"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_predict_is_the_linear_output_of_the_network(task, activation):
    X, y = make_problem(task)
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(6, 4), activation=activation, max_iter=5, random_state=0
    ).fit(X, y)
    expected = ref.logits(X, model.coefs_, model.intercepts_, activation)
    prediction = model.predict(X)
    assert prediction.shape == y.shape
    assert_allclose(prediction, expected.reshape(y.shape), rtol=1e-12)
    assert model.n_outputs_ == (1 if y.ndim == 1 else y.shape[1])
    assert model.out_activation_ == "identity"


def test_integer_targets_are_regressed_as_floats():
    X, y = make_problem("regression")
    y_int = np.round(3 * y).astype(int)
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(), solver="lbfgs", random_state=0
    ).fit(X, y_int)
    as_float = MLPRegularizedRegressor(
        hidden_layer_sizes=(), solver="lbfgs", random_state=0
    ).fit(X, y_int.astype(float))
    assert model.predict(X).dtype == np.float64
    assert_array_equal(model.predict(X), as_float.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_fits_a_smooth_function(solver):
    X, y = make_problem("regression")
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(16,),
        activation="tanh",
        solver=solver,
        batch_size=10,
        learning_rate_init=0.01,
        l2_weight=1e-4,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    assert r2_score(y, model.predict(X)) > 0.98


def test_partial_fit_needs_no_classes():
    X, y = make_problem("multioutput")
    model = MLPRegularizedRegressor(hidden_layer_sizes=(5,), random_state=0)
    model.partial_fit(X[:30], y[:30])
    model.partial_fit(X[30:], y[30:])
    assert model.n_iter_ == 2
    assert model.t_ == 60
    assert model.predict(X).shape == y.shape
