"""MLPRegularizedRegressor: outputs, shapes, targets."""

import numpy as np
import pytest
import reference_mlp as ref
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import r2_score

from conftest import make_problem, requires_sklearn_poisson_mlp
from skreg import MLPRegularizedRegressor
from skreg._base import SOLVERS

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


@pytest.mark.parametrize("solver", SOLVERS)
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
    assert model.n_iter_ == 1
    assert len(model.loss_curve_) == 2
    assert model.t_ == 60
    assert model.predict(X).shape == y.shape


def count_data(n_samples=120, n_outputs=1):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 4))
    rates = np.exp(X @ rng.normal(scale=0.4, size=(4, n_outputs)) + 0.3)
    y = rng.poisson(rates).astype(float)
    return X, (y.ravel() if n_outputs == 1 else y)


@ignore_convergence
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_poisson_predicts_the_exponential_of_the_network(n_outputs, solver):
    X, y = count_data(n_outputs=n_outputs)
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(5,),
        loss="poisson",
        solver=solver,
        l1_weight=1e-3,
        l2_bias=1e-3,
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    assert model.out_activation_ == "exp"
    expected = np.exp(ref.logits(X, model.coefs_, model.intercepts_, "relu"))
    prediction = model.predict(X)
    assert prediction.shape == y.shape
    assert np.all(prediction > 0)
    assert_allclose(prediction, expected.reshape(y.shape), rtol=1e-12)


@requires_sklearn_poisson_mlp
@ignore_convergence
def test_poisson_data_loss_equals_scikit_learns_mlp():
    from sklearn.neural_network import MLPRegressor

    X, y = count_data()
    # Same initialisation for the same seed, no penalty, a few lbfgs steps.
    common = {"hidden_layer_sizes": (5,), "solver": "lbfgs", "random_state": 0}
    for max_iter in (1, 3):
        theirs = MLPRegressor(loss="poisson", alpha=0.0, max_iter=max_iter, **common)
        ours = MLPRegularizedRegressor(loss="poisson", max_iter=max_iter, **common)
        theirs.fit(X, y)
        ours.fit(X, y)
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)


def test_poisson_rejects_negative_targets():
    X, y = count_data()
    y = y.copy()
    y[3] = -1.0
    with pytest.raises(ValueError, match="loss='poisson' needs non-negative"):
        MLPRegularizedRegressor(loss="poisson", max_iter=2).fit(X, y)


def test_poisson_loss_curve_is_the_penalized_objective():
    X, y = count_data()
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        loss="poisson",
        solver="lbfgs",
        l2_weight=0.05,
        random_state=0,
    ).fit(X, y)
    z = ref.logits(X, model.coefs_, model.intercepts_, "identity")
    data = ref.data_loss(z, y.reshape(-1, 1), np.ones(len(y)), "poisson")
    penalty = ref.penalty(model.coefs_, model.intercepts_, l2_weight=0.05)
    assert model.loss_ == pytest.approx(data + penalty, rel=1e-10)
