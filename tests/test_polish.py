r"""The Newton polish of linear models (``skreg/_polish.py``).

The references are independent of skreg: the objective of
``tests/reference_mlp.py`` and its gradient written here from the
specification (checked against central differences of that objective), the
Hessian checked against central differences of the gradient. The
cross-checks against scikit-learn's linear models are in
``tests/test_linear_models.py``.
"""

import warnings

import numpy as np
import pytest
import reference_mlp as ref
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor
from skreg._network import Network
from skreg._polish import LinearObjective, NewtonPolish, can_polish

#: task -> (estimator, its loss parameter, skreg's loss, the reference's loss
#: kind, number of outputs)
TASKS = {
    "binary": (MLPRegularizedClassifier, {}, "binary_log_loss", "logistic", 1),
    "multiclass": (MLPRegularizedClassifier, {}, "log_loss", "softmax", 3),
    "multilabel": (MLPRegularizedClassifier, {}, "binary_log_loss", "logistic", 3),
    "regression": (MLPRegularizedRegressor, {}, "squared_error", "squared", 2),
    "poisson": (
        MLPRegularizedRegressor,
        {"loss": "poisson"},
        "poisson",
        "poisson",
        1,
    ),
}

PENALTIES = {
    "l2": {"l2_weight": 1e-3},
    "proximal-l1": {"l1_weight": 5e-2, "l1_method": "proximal"},
    "all-four": {
        "l1_weight": 5e-2,
        "l1_bias": 2e-2,
        "l2_weight": 1e-3,
        "l2_bias": 1e-3,
        "l1_method": "proximal",
    },
}

#: How far from zero the optimality conditions may be, in units of the
#: magnitude of the gradient's terms: a margin of 10 over the largest
#: measured (below 1e-14, a few dozen times float64's epsilon).
OPTIMALITY_RTOL = 1e-13


def task_data(task, n_samples=120, n_features=6, seed=0):
    """Inputs, the targets as the estimator takes them, the one-hot/2-D targets
    as the network fits them, and sample weights."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    X[:, -1] *= 5  # one badly scaled feature
    scores = X[:, :3] @ rng.normal(size=(3, 3))
    if task == "binary":
        y = (scores[:, 0] > 0).astype(int)
        Y = y[:, np.newaxis].astype(float)
    elif task == "multiclass":
        y = scores.argmax(axis=1)
        Y = np.eye(3)[y]
    elif task == "multilabel":
        y = (scores > 0).astype(int)
        Y = y.astype(float)
    elif task == "regression":
        y = scores[:, :2] + rng.normal(scale=0.5, size=(n_samples, 2))
        Y = y
    else:
        y = rng.poisson(np.exp(0.3 * scores[:, 0]))
        Y = y[:, np.newaxis].astype(float)
    # Random integer-free weights, some of them zero.
    sample_weight = rng.uniform(0.0, 2.0, size=n_samples)
    sample_weight[::17] = 0.0
    return X, y, Y, sample_weight


def logit_gradient(z, Y, kind):
    """d(per-sample loss)/dz, from the specification (unweighted)."""
    if kind == "softmax":
        return ref.softmax(z) - Y
    if kind == "logistic":
        return ref.sigmoid(z) - Y
    if kind == "squared":
        return (z - Y) / Y.shape[1]
    return np.exp(z) - Y


def reference_gradient(theta, layer_sizes, kind, X, Y, sample_weight, lambdas):
    """The gradient of ``reference_mlp.objective`` of a linear model, without
    the L1 terms (their part depends on the sign, see the conditions)."""
    (W,), (b,) = ref.unpack(theta, layer_sizes)
    weights = sample_weight / sample_weight.sum()
    R = logit_gradient(X @ W + b, Y, kind) * weights[:, np.newaxis]
    return np.concatenate(
        [
            (X.T @ R + 2 * lambdas["l2_weight"] * W).ravel(),
            R.sum(axis=0) + 2 * lambdas["l2_bias"] * b,
        ]
    )


def lambdas_of(penalties):
    return {
        name: penalties.get(name, 0.0)
        for name in ("l1_weight", "l1_bias", "l2_weight", "l2_bias")
    }


@pytest.mark.parametrize("task", TASKS)
def test_reference_gradient_matches_central_differences(task):
    """The gradient the optimality test uses is that of the reference objective."""
    _, _, _, kind, n_outputs = TASKS[task]
    X, _, Y, sample_weight = task_data(task, n_samples=30, n_features=3)
    layer_sizes = [3, n_outputs]
    lambdas = {"l1_weight": 0.0, "l1_bias": 0.0, "l2_weight": 0.3, "l2_bias": 0.2}
    theta = np.random.RandomState(1).normal(scale=0.3, size=4 * n_outputs)

    expected = ref.central_differences(
        lambda t: ref.objective(
            t, layer_sizes, "identity", kind, X, Y, sample_weight, lambdas
        ),
        theta,
    )
    actual = reference_gradient(theta, layer_sizes, kind, X, Y, sample_weight, lambdas)
    assert_allclose(actual, expected, rtol=1e-6, atol=1e-8)


def flat_parameters(model):
    return np.concatenate([model.coefs_[0].ravel(), model.intercepts_[0]])


def l1_strengths(model, penalties):
    n_coefs = model.coefs_[0].size
    strengths = np.full(
        n_coefs + model.intercepts_[0].size, float(penalties.get("l1_bias", 0.0))
    )
    strengths[:n_coefs] = penalties.get("l1_weight", 0.0)
    return strengths


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("task", TASKS)
def test_polished_model_meets_the_optimality_conditions(task, penalty, sparse):
    r"""At the default tol, every coordinate meets its condition to rounding:
    :math:`\nabla_j f + \lambda_j \operatorname{sign}(\theta_j) = 0` where
    :math:`\theta_j \ne 0`, :math:`|\nabla_j f| \le \lambda_j` at zero."""
    Estimator, loss_parameters, _, kind, n_outputs = TASKS[task]
    X, y, Y, sample_weight = task_data(task)
    penalties = PENALTIES[penalty]
    model = Estimator(
        hidden_layer_sizes=(),
        solver="lbfgs",
        random_state=0,
        **loss_parameters,
        **penalties,
    )
    model.fit(sp.csr_array(X) if sparse else X, y, sample_weight=sample_weight)

    theta = flat_parameters(model)
    layer_sizes = [X.shape[1], n_outputs]
    gradient = reference_gradient(
        theta, layer_sizes, kind, X, Y, sample_weight, lambdas_of(penalties)
    )
    strengths = l1_strengths(model, penalties)
    # The magnitude of the terms that make up the gradient, for its rounding.
    (W,), (b,) = ref.unpack(theta, layer_sizes)
    weights = sample_weight / sample_weight.sum()
    z = X @ W + b
    terms = (np.abs(logit_gradient(z, Y, kind)) + np.abs(Y)) * weights[:, np.newaxis]
    scale = max(float(np.abs(X).T.dot(terms).max()), float(terms.sum(axis=0).max()))
    scale += strengths.max() + float(np.abs(2 * 1e-3 * theta).max())

    at_zero = (theta == 0) & (strengths > 0)
    stationary = gradient + strengths * np.sign(theta)
    assert np.abs(stationary[~at_zero]).max() <= OPTIMALITY_RTOL * scale
    assert np.all(np.abs(gradient[at_zero]) <= strengths[at_zero] + OPTIMALITY_RTOL)
    if "l1_weight" in penalties:
        assert at_zero.any()


def linear_objective(task, penalties, sparse=False, n_samples=40):
    Estimator, loss_parameters, loss, _, n_outputs = TASKS[task]
    X, _, Y, sample_weight = task_data(task, n_samples=n_samples)
    estimator = Estimator(hidden_layer_sizes=(), **penalties)
    penalty = estimator._penalty([X.shape[1], n_outputs])
    X = sp.csr_array(X) if sparse else X
    return LinearObjective(X, Y, sample_weight, loss, penalty), penalty


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("task", TASKS)
def test_hessian_product_matches_central_differences_of_the_gradient(task, sparse):
    objective, _ = linear_objective(task, PENALTIES["all-four"], sparse)
    rng = np.random.RandomState(3)
    theta = rng.normal(scale=0.2, size=objective.scratch.size)
    direction = rng.normal(size=theta.size)
    point = objective.evaluate(theta)
    step = 1e-6
    forward = objective.evaluate(theta + step * direction).gradient
    backward = objective.evaluate(theta - step * direction).gradient
    expected = (forward - backward) / (2 * step)
    assert_allclose(
        objective.hessian_product(point, direction), expected, rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("penalty", PENALTIES)
def test_polish_never_raises_the_objective(task, penalty):
    """From far-off starts (where its steps may not reach the optimum) it
    only lowers the objective, and keeps the start's exact zeros it cannot
    improve on."""
    objective, network_penalty = linear_objective(task, PENALTIES[penalty])
    polish = NewtonPolish(objective, network_penalty.nonsmooth_entries)
    rng = np.random.RandomState(4)
    for scale in (0.1, 3.0):
        start = rng.normal(scale=scale, size=objective.scratch.size)
        start[::3] = 0.0
        before = objective.evaluate(start).value
        assert polish(start).value <= before


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("penalty", PENALTIES)
def test_polish_of_the_optimum_changes_nothing(task, penalty):
    """At the optimum (a polished fit) the polish takes no step."""
    Estimator, loss_parameters, _, _, _ = TASKS[task]
    X, y, _, sample_weight = task_data(task, n_samples=40)
    penalties = PENALTIES[penalty]
    model = Estimator(
        hidden_layer_sizes=(),
        solver="lbfgs",
        random_state=0,
        **loss_parameters,
        **penalties,
    ).fit(X, y, sample_weight=sample_weight)
    objective, network_penalty = linear_objective(task, penalties)
    polish = NewtonPolish(objective, network_penalty.nonsmooth_entries)
    theta = flat_parameters(model)

    point = polish(theta)
    assert polish.n_steps == 0
    assert_array_equal(point.theta, theta)
    assert point.value == pytest.approx(model.loss_, rel=1e-14)


def test_float32_is_polished_in_float64_and_rounded_back():
    X, y, _, sample_weight = task_data("multiclass")
    parameters = {"hidden_layer_sizes": (), "solver": "lbfgs", "random_state": 0}
    parameters |= PENALTIES["all-four"]
    single = MLPRegularizedClassifier(**parameters).fit(
        X.astype(np.float32), y, sample_weight=sample_weight
    )
    double = MLPRegularizedClassifier(**parameters).fit(
        X.astype(np.float32).astype(np.float64), y, sample_weight=sample_weight
    )
    assert single.coefs_[0].dtype == np.float32
    # The same optimum, rounded to float32 (exact zeros included).
    assert_allclose(single.coefs_[0], double.coefs_[0].astype(np.float32), rtol=1e-6)
    assert_allclose(
        single.intercepts_[0], double.intercepts_[0].astype(np.float32), rtol=1e-6
    )


@pytest.mark.parametrize(
    "hidden_layer_sizes, l1_weight, l1_method, expected",
    [
        ((), 0.0, "subgradient", True),
        ((), 1e-2, "proximal", True),
        # The derived gradient of L1 has no Newton step at its kink.
        ((), 1e-2, "subgradient", False),
        # Not convex: no single optimum to polish to.
        ((4,), 0.0, "subgradient", False),
        ((4,), 1e-2, "proximal", False),
    ],
)
def test_what_is_polished(hidden_layer_sizes, l1_weight, l1_method, expected):
    estimator = MLPRegularizedRegressor(
        hidden_layer_sizes=hidden_layer_sizes,
        l1_weight=l1_weight,
        l2_weight=1e-3,
        l1_method=l1_method,
    )
    layer_sizes = [3, *hidden_layer_sizes, 1]
    network = Network(layer_sizes, "relu", "squared_error", np.float64)
    penalty = estimator._penalty(layer_sizes)
    assert can_polish(network, penalty, l1_method == "proximal") is expected


def test_an_unconverged_fit_is_not_polished_and_warns():
    """max_iter is honoured: L-BFGS-B's point is kept, with the warning."""
    X, y, _, _ = task_data("multiclass")
    parameters = {"hidden_layer_sizes": (), "solver": "lbfgs", "random_state": 0}
    with pytest.warns(ConvergenceWarning):
        short = MLPRegularizedClassifier(max_iter=2, **parameters).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        full = MLPRegularizedClassifier(**parameters).fit(X, y)
    assert short.n_iter_ == 2
    assert short.loss_ > full.loss_ + 1e-6


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("task", TASKS)
def test_hessian_diagonal_is_that_of_the_hessian_products(task, sparse):
    """The preconditioner's diagonal, against products with unit vectors."""
    objective, _ = linear_objective(task, PENALTIES["all-four"], sparse)
    theta = np.random.RandomState(6).normal(scale=0.2, size=objective.scratch.size)
    point = objective.evaluate(theta)
    expected = [
        objective.hessian_product(point, unit)[j]
        for j, unit in enumerate(np.eye(theta.size))
    ]
    assert_allclose(objective.hessian_diagonal(point), expected, rtol=1e-12)
