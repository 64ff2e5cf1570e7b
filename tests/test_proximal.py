"""l1_method='proximal': the proximal step, the split L1 of L-BFGS-B, exact zeros.

The steps are recomputed by hand from their formulas; the sparsity they give
is compared with the derived (sub)gradient's, and read through
``sparsity()``, ``feature_importances_`` and SelectFromModel. The cross-checks
against scikit-learn's Lasso and ElasticNet are in test_linear_models.py.
"""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import entries
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor
from skreg._base import SOLVERS, STOCHASTIC_SOLVERS
from skreg._penalties import L1, NetworkPenalty, SplitL1
from skreg._sparsity import live_units

#: Weights whose norm is below this count as removed by SelectFromModel.
ZERO_IMPORTANCE = 1e-12


def soft_threshold(x, threshold):
    """sign(x) max(|x| - threshold, 0), the proximal operator of threshold |.|."""
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    return X_train, X_test, y_train, y_test


@pytest.fixture(scope="module")
def scaled_digits(digits):
    X_train, X_test, y_train, y_test = digits
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


# ----------------------------------------------------------------------
# The engine: soft thresholding and the split of L-BFGS-B
# ----------------------------------------------------------------------
@pytest.mark.parametrize("per_coordinate", [False, True])
def test_l1_prox_is_soft_thresholding(per_coordinate):
    rng = np.random.RandomState(0)
    theta = rng.normal(size=50)
    theta[:5] = [0.0, -0.0, 0.3, -0.3, 0.29]
    threshold = rng.uniform(0.1, 0.5, size=50) if per_coordinate else 0.3
    expected = soft_threshold(theta, threshold)

    L1.prox(theta, threshold, np.empty_like(theta))

    np.testing.assert_array_equal(theta, expected)
    # What would cross zero lands exactly on +0.0.
    assert np.count_nonzero(theta == 0) == np.count_nonzero(expected == 0) > 2
    assert not np.any(np.signbit(theta[theta == 0]))


def test_prox_l1_thresholds_only_l1_slices_by_step_times_lambda():
    theta = np.linspace(-1, 1, 12)
    penalty = NetworkPenalty(
        [*entries(0, 4, 0.5, 0.0), *entries(4, 8, 0.0, 1.0)]
        + [*entries(8, 12, 2.0, 0.0)],
        size=12,
    )
    step = np.full(12, 0.2)
    expected = theta.copy()
    expected[:4] = soft_threshold(theta[:4], 0.2 * 0.5)
    expected[8:] = soft_threshold(theta[8:], 0.2 * 2.0)

    scalar_result = theta.copy()
    penalty.prox(scalar_result, 0.2, np.empty(12))
    penalty.prox(theta, step, np.empty(12))

    np.testing.assert_allclose(theta, expected, rtol=1e-15)
    np.testing.assert_array_equal(theta, scalar_result)


def split_of_test_penalty():
    segments = [
        *entries(0, 5, 0.3, 0.1),
        *entries(5, 9, 0.0, 0.2),
        *entries(9, 12, 1.5, 0.0),
    ]
    return segments, SplitL1(NetworkPenalty(segments, 14).nonsmooth_entries, size=14)


def test_split_l1_round_trip_value_and_bounds():
    segments, split = split_of_test_penalty()
    theta = np.random.RandomState(0).normal(size=14)
    theta[[1, 10]] = 0.0

    z = split.split(theta)
    merged = np.empty(14)
    split.merge(z, out=merged)

    assert split.n_variables == 14 + 5 + 3
    np.testing.assert_array_equal(merged, theta)
    l1_value = 0.3 * np.abs(theta[:5]).sum() + 1.5 * np.abs(theta[9:12]).sum()
    np.testing.assert_allclose(split.value(z), l1_value, rtol=1e-14)
    lower = split.bounds().lb
    np.testing.assert_array_equal(
        np.isfinite(lower),
        [True] * 5 + [False] * 4 + [True] * 3 + [False] * 2 + [True] * 8,
    )
    assert np.all(z[np.isfinite(lower)] >= 0)


def test_split_l1_gradient_matches_finite_differences():
    """d/dz of f(p - n) + sum lambda (p + n), for a smooth f."""
    _, split = split_of_test_penalty()
    rng = np.random.RandomState(1)
    target = rng.normal(size=14)
    z = np.abs(rng.normal(size=split.n_variables)) + 0.1
    theta = np.empty(14)

    def objective(variables):
        split.merge(variables, out=theta)
        return 0.5 * np.sum(np.sin(theta - target) ** 2) + split.value(variables)

    split.merge(z, out=theta)
    smooth_gradient = np.sin(theta - target) * np.cos(theta - target)

    np.testing.assert_allclose(
        split.gradient(smooth_gradient),
        approx_fprime(z, objective, 1e-7),
        rtol=1e-5,
        atol=1e-6,
    )


def test_split_without_l1_is_the_identity():
    split = SplitL1(NetworkPenalty(entries(0, 6, 0.0, 1.0), 6).nonsmooth_entries, 6)
    theta = np.arange(6.0) - 2
    gradient = np.ones(6)

    assert split.n_variables == 6
    assert split.bounds() is None
    assert split.value(split.split(theta)) == 0
    np.testing.assert_array_equal(split.split(theta), theta)
    np.testing.assert_array_equal(split.gradient(gradient), gradient)


# ----------------------------------------------------------------------
# The stochastic solvers' steps, by hand
# ----------------------------------------------------------------------
def hand_steps(solver, X, y, theta, n_steps, lambdas, hyper):
    """Full-batch proximal steps of a linear model, from the formulas alone.

    theta = (w_1, ..., w_p, b); the data loss is (1/2n) sum (Xw + b - y)^2.
    """
    l1 = np.r_[np.full(X.shape[1], lambdas["l1_weight"]), lambdas["l1_bias"]]
    l2 = np.r_[np.full(X.shape[1], lambdas["l2_weight"]), 0.0]
    velocity = np.zeros_like(theta)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, n_steps + 1):
        residual = X @ theta[:-1] + theta[-1] - y
        gradient = np.r_[X.T @ residual, residual.sum()] / len(y) + 2 * l2 * theta
        if solver == "sgd":
            rate, momentum = hyper["learning_rate_init"], hyper["momentum"]
            velocity = momentum * velocity - rate * gradient
            theta = theta + velocity
            step = rate / (1 - momentum)  # the step the momentum settles to
        else:
            first = hyper["beta_1"] * first + (1 - hyper["beta_1"]) * gradient
            second = hyper["beta_2"] * second + (1 - hyper["beta_2"]) * gradient**2
            rate = (
                hyper["learning_rate_init"]
                * np.sqrt(1 - hyper["beta_2"] ** t)
                / (1 - hyper["beta_1"] ** t)
            )
            theta = theta - rate * first / (np.sqrt(second) + hyper["epsilon"])
            # adam's metric: the step per unit of the bias-corrected mean
            # gradient first / (1 - beta_1^t), so without rate's 1 / (1 -
            # beta_1^t), which corrects the mean, not the metric.
            step = (
                rate * (1 - hyper["beta_1"] ** t) / (np.sqrt(second) + hyper["epsilon"])
            )
        theta = soft_threshold(theta, step * l1)
    return theta


#: Optimizer settings of the hand-computed proximal steps (scalar and group).
HAND_STEP_SETTINGS = [
    ("sgd", {"learning_rate_init": 0.1, "momentum": 0.5}),
    (
        "adam",
        {"learning_rate_init": 0.05, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-8},
    ),
]


@pytest.mark.parametrize("solver, hyper", HAND_STEP_SETTINGS)
def test_proximal_steps_by_hand(solver, hyper):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, 0.0, -0.5, 0.02]) + 0.3
    theta = np.array([0.8, 0.05, -0.4, 0.01, 0.02])
    lambdas = {"l1_weight": 0.1, "l1_bias": 0.8, "l2_weight": 0.01}
    expected = hand_steps(solver, X, y, theta, 3, lambdas, hyper)

    sgd_options = {"nesterovs_momentum": False} if solver == "sgd" else {}
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        activation="identity",
        solver=solver,
        l1_method="proximal",
        batch_size=30,
        shuffle=False,
        warm_start=True,
        max_iter=1,
        random_state=0,
        **lambdas,
        **hyper,
        **sgd_options,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    # Restart from theta with a fresh optimizer, for three full-batch steps.
    model.coefs_ = [theta[:-1].reshape(-1, 1).copy()]
    model.intercepts_ = [theta[-1:].copy()]
    model.set_params(max_iter=3)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    result = np.r_[model.coefs_[0].ravel(), model.intercepts_[0]]

    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(result == 0, expected == 0)
    assert np.any(expected[:-1] == 0) and expected[-1] == 0


# ----------------------------------------------------------------------
# The estimators
# ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "Estimator, l1_weight",
    [(MLPRegularizedClassifier, 0.0), (MLPRegularizedRegressor, [0.0, 0.0])],
)
def test_methods_agree_bit_for_bit_without_l1(digits, solver, Estimator, l1_weight):
    X_train, _, y_train, _ = digits
    X_train = X_train[:300] / 16
    y_train = y_train[:300]
    params = {
        "hidden_layer_sizes": (8,),
        "solver": solver,
        "l1_weight": l1_weight,
        "l2_weight": 1e-3,
        "l2_bias": 1e-4,
        "learning_rate_init": 0.01,
        "max_iter": 15,
        "random_state": 0,
    }
    with pytest.warns(ConvergenceWarning):
        subgradient = Estimator(l1_method="subgradient", **params).fit(X_train, y_train)
    with pytest.warns(ConvergenceWarning):
        proximal = Estimator(l1_method="proximal", **params).fit(X_train, y_train)

    for expected, actual in zip(
        subgradient.coefs_ + subgradient.intercepts_,
        proximal.coefs_ + proximal.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(actual, expected)
    assert proximal.loss_curve_ == subgradient.loss_curve_


@pytest.mark.parametrize("solver, learning_rate_init", [("sgd", 0.05), ("adam", 0.01)])
def test_hidden_layer_exact_zeros_on_digits(scaled_digits, solver, learning_rate_init):
    X_train, X_test, y_train, y_test = scaled_digits
    params = {
        "hidden_layer_sizes": (32,),
        "solver": solver,
        "learning_rate_init": learning_rate_init,
        "l1_weight": 3e-3,
        "max_iter": 30,
        "random_state": 0,
    }
    fitted = {}
    for method in ["subgradient", "proximal"]:
        with pytest.warns(ConvergenceWarning):
            fitted[method] = MLPRegularizedClassifier(l1_method=method, **params).fit(
                X_train, y_train
            )

    first_layer = fitted["proximal"].coefs_[0]
    assert np.mean(first_layer == 0) > 0.5
    assert np.mean(fitted["subgradient"].coefs_[0] == 0) < 0.01
    # Inputs that never vary (standardised to zero) are cut off entirely.
    constant = np.ptp(X_train, axis=0) == 0
    assert constant.any()
    assert not np.any(first_layer[constant])
    assert fitted["proximal"].score(X_test, y_test) > 0.95


def test_sparsity_report(scaled_digits):
    X_train, _, y_train, _ = scaled_digits
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(16,),
        solver="adam",
        learning_rate_init=0.01,
        l1_weight=3e-3,
        l1_bias=3e-3,
        l1_method="proximal",
        max_iter=20,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X_train, y_train)

    report = model.sparsity()

    for layer, (coef, intercept) in enumerate(
        zip(model.coefs_, model.intercepts_, strict=True)
    ):
        assert report["n_weights"][layer] == coef.size
        assert report["n_zero_weights"][layer] == np.sum(coef == 0)
        assert report["zero_weight_share"][layer] == np.mean(coef == 0)
        assert report["n_biases"][layer] == intercept.size
        assert report["n_zero_biases"][layer] == np.sum(intercept == 0)
        assert report["zero_bias_share"][layer] == np.mean(intercept == 0)
        assert report["n_inputs"][layer] == coef.shape[0]
        assert report["n_unused_inputs"][layer] == np.sum(np.all(coef == 0, axis=1))
    assert report["n_zero_weights"][0] > 0
    assert all(len(values) == model.n_layers_ - 1 for values in report.values())

    importances = model.feature_importances_
    assert importances.shape == (model.n_features_in_,)
    kept_units = live_units(model.coefs_)[1]
    assert report["n_removed_units"][0] == np.sum(~kept_units)
    np.testing.assert_allclose(
        importances,
        np.sqrt(np.sum(model.coefs_[0][:, kept_units] ** 2, axis=1)),
        rtol=1e-12,
    )
    assert np.sum(importances == 0) >= report["n_unused_inputs"][0]


def test_sparsity_and_importances_need_a_fitted_model():
    model = MLPRegularizedRegressor()
    with pytest.raises(NotFittedError):
        model.sparsity()
    assert not hasattr(model, "feature_importances_")


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_select_from_model_pipeline_on_digits(digits, solver):
    X_train, X_test, y_train, y_test = digits
    selector = SelectFromModel(
        MLPRegularizedClassifier(
            hidden_layer_sizes=(32,),
            solver=solver,
            learning_rate_init=0.05 if solver == "sgd" else 0.01,
            l1_weight=1e-2,
            l1_method="proximal",
            max_iter=30,
            random_state=0,
        ),
        threshold=ZERO_IMPORTANCE,
    )
    pipeline = make_pipeline(
        StandardScaler(), selector, LogisticRegression(max_iter=1000)
    )
    with pytest.warns(ConvergenceWarning):
        pipeline.fit(X_train, y_train)

    kept = selector.get_support()
    np.testing.assert_array_equal(kept, np.any(selector.estimator_.coefs_[0], axis=1))
    assert 0 < kept.sum() < 64
    assert not np.any(kept[np.ptp(X_train, axis=0) == 0])
    assert pipeline.score(X_test, y_test) > 0.9


# ----------------------------------------------------------------------
# scikit-learn's estimator checks with the proximal method
# ----------------------------------------------------------------------
def proximal_estimators():
    for solver in SOLVERS:
        options = (
            {"max_iter": 50}
            if solver == "lbfgs"
            else {"max_iter": 100, "learning_rate_init": 0.01}
        )
        for Estimator in [MLPRegularizedClassifier, MLPRegularizedRegressor]:
            extra = {}
            if solver == "sgd" and Estimator is MLPRegularizedRegressor:
                # Unscaled inputs in several checks: relu units diverge
                # there (the squared error 6e8 times its starting scale),
                # bounded tanh units do not.
                extra = {"activation": "tanh"}
            yield Estimator(
                hidden_layer_sizes=(5,),
                solver=solver,
                l1_weight=1e-4,
                l1_bias=1e-4,
                l1_method="proximal",
                random_state=0,
                **options,
                **extra,
            )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(list(proximal_estimators()))
def test_estimator_checks_proximal(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------
# The group penalty: whole inputs and whole units removed
# ----------------------------------------------------------------------
def group_problem():
    """20 inputs of which the first 4 are informative (shuffle=False)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        400, 20, n_informative=4, n_redundant=0, shuffle=False, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver, learning_rate_init", [("sgd", 0.05), ("adam", 0.01)])
def test_group_penalty_removes_whole_inputs_and_units(solver, learning_rate_init):
    X, y = group_problem()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=learning_rate_init,
        group_l1_weight=[0.02, 0.005],
        l1_method="proximal",
        max_iter=150,
        random_state=0,
        engine="numpy",
    ).fit(X, y)
    kept = model.feature_importances_ > 0
    # Whole rows zero: the removed inputs, all the informative ones kept.
    assert 4 <= kept.sum() < 20
    assert kept[:4].all()
    report = model.sparsity()
    assert report["n_unused_inputs"][0] == np.sum(~kept)
    assert report["n_unused_inputs"][1] > 0
    assert model.score(X, y) > 0.85
    # Without the proximal step no row is exactly zero.
    subgradient = MLPRegularizedClassifier(**model.get_params()).set_params(
        l1_method="subgradient"
    )
    assert np.all(subgradient.fit(X, y).feature_importances_ > 0)


def test_group_penalty_with_lbfgs_proximal_is_refused_by_parameter():
    X, y = group_problem()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(4,),
        solver="lbfgs",
        group_l1_weight=0.1,
        l1_method="proximal",
    )
    with pytest.raises(
        ValueError, match="solver='lbfgs'.*l1_method='proximal'.*group_l1_weight"
    ):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_numba_names_the_penalty_it_leaves_to_numpy(monkeypatch):
    pytest.importorskip("numba")
    from skreg import _kernels
    from skreg._penalties import GroupLasso

    # Every term of the estimators has a kernel now: take the group term's
    # away, as for a term added without one.
    monkeypatch.setattr(_kernels, "FUSED_TERMS", _kernels.FUSED_TERMS - {GroupLasso})
    X, y = group_problem()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(4,),
        group_l1_weight=0.01,
        l1_weight=0.001,
        l1_method="proximal",
        max_iter=2,
        engine="numba",
        random_state=0,
    )
    with pytest.warns(UserWarning, match=r"numba.*group_l1_weight.*run in NumPy"):
        model.fit(X, y)
    # The same fit on NumPy, to rounding; the terms numba has say nothing.
    reference = MLPRegularizedClassifier(**model.get_params()).set_params(
        engine="numpy"
    )
    with pytest.warns(ConvergenceWarning):
        reference.fit(X, y)
    np.testing.assert_allclose(model.coefs_[0], reference.coefs_[0], atol=1e-12)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(group_l1_weight=0.0).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_collapse_warning_names_the_group_lambda():
    from skreg.exceptions import PenaltyCollapseWarning

    X, y = group_problem()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate_init=0.1,
        group_l1_weight=[5.0, 0.0],
        l1_method="proximal",
        max_iter=5,
        random_state=0,
        engine="numpy",
    )
    with pytest.warns(PenaltyCollapseWarning, match=r"layer 1 \(group_l1_weight=5\)"):
        model.fit(X, y)


def hand_network():
    """3 inputs, hidden (4, 3), 2 outputs, with dead units of each kind.

    Input 2 has a zero row; hidden-1 unit 1 has no outgoing weights
    (unused), unit 2 no incoming weights (a constant, used); hidden-2 unit 0
    is reached only from hidden-1 unit 3, whose only input weight comes from
    input 1, and unit 2 has no outgoing weights.
    """
    rng = np.random.RandomState(0)
    W1 = rng.normal(size=(3, 4))
    W1[2] = 0.0
    W1[:, 2] = 0.0
    W2 = rng.normal(size=(4, 3))
    W2[1] = 0.0
    W3 = rng.normal(size=(3, 2))
    W3[2] = 0.0
    b = [rng.normal(size=4), rng.normal(size=3), rng.normal(size=2)]
    return [W1, W2, W3], b


def test_live_units_and_the_sparsity_report_by_hand():
    coefs, intercepts = hand_network()
    kept = live_units(coefs)
    np.testing.assert_array_equal(kept[0], [True, True, False])
    np.testing.assert_array_equal(kept[1], [True, False, False, True])
    np.testing.assert_array_equal(kept[2], [True, True, False])
    np.testing.assert_array_equal(kept[3], [True, True])
    from skreg._sparsity import input_importances, layer_sparsity

    report = layer_sparsity(coefs, intercepts)
    np.testing.assert_array_equal(report["n_units"], [4, 3, 2])
    np.testing.assert_array_equal(report["n_removed_units"], [2, 1, 0])
    np.testing.assert_array_equal(report["n_unused_inputs"], [1, 1, 1])
    importances = input_importances(coefs)
    np.testing.assert_allclose(importances, np.linalg.norm(coefs[0][:, [0, 3]], axis=1))
    assert importances[2] == 0


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_compact_network_computes_the_same_function(activation):
    from skreg._network import forward
    from skreg._sparsity import compact_network

    coefs, intercepts = hand_network()
    small_coefs, small_intercepts = compact_network(coefs, intercepts, activation)
    assert [c.shape for c in small_coefs] == [(3, 2), (2, 2), (2, 2)]
    X = np.random.RandomState(1).normal(size=(20, 3))
    np.testing.assert_allclose(
        forward(X, small_coefs, small_intercepts, activation)[-1],
        forward(X, coefs, intercepts, activation)[-1],
        rtol=1e-12,
        atol=1e-12,
    )


def test_compact_network_keeps_one_unit_of_a_dead_layer():
    from skreg._network import forward
    from skreg._sparsity import compact_network

    coefs, intercepts = hand_network()
    coefs[1][:] = 0.0  # nothing reaches the second hidden layer: constants
    small_coefs, small_intercepts = compact_network(coefs, intercepts, "tanh")
    assert [c.shape[1] for c in small_coefs] == [1, 1, 2]
    X = np.random.RandomState(1).normal(size=(5, 3))
    np.testing.assert_allclose(
        forward(X, small_coefs, small_intercepts, "tanh")[-1],
        forward(X, coefs, intercepts, "tanh")[-1],
        rtol=1e-12,
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "Estimator", [MLPRegularizedClassifier, MLPRegularizedRegressor]
)
def test_compact_estimator_predicts_the_same_with_fewer_parameters(Estimator):
    X, y = group_problem()
    model = Estimator(
        hidden_layer_sizes=(16, 8),
        solver="adam",
        learning_rate_init=0.01,
        group_l1_weight=[0.02, 0.01, 0.005],
        l1_method="proximal",
        max_iter=60,
        random_state=0,
        engine="numpy",
    )
    pipeline = make_pipeline(StandardScaler(), model).fit(X, y)
    small = model.compact()
    removed = model.sparsity()["n_removed_units"]
    assert removed[:-1].sum() > 0
    assert small.hidden_layer_sizes == tuple(
        np.array(model.hidden_layer_sizes) - removed[:-1]
    )

    def n_parameters(estimator):
        return sum(c.size for c in estimator.coefs_ + estimator.intercepts_)

    assert n_parameters(small) < n_parameters(model)
    assert small.sparsity()["n_removed_units"].sum() == 0
    np.testing.assert_array_equal(
        small.feature_importances_ > 0, model.feature_importances_ > 0
    )
    # In place of the model in its pipeline, same predictions to rounding.
    pipeline_small = make_pipeline(pipeline[0], small)
    if Estimator is MLPRegularizedClassifier:
        np.testing.assert_allclose(
            pipeline_small.predict_proba(X), pipeline.predict_proba(X), atol=1e-12
        )
    np.testing.assert_allclose(
        pipeline_small.predict(X), pipeline.predict(X), atol=1e-12
    )
    # The model itself is unchanged, and the copy refits.
    assert model.coefs_[0].shape == (20, 16)
    small.set_params(max_iter=2).fit(X, y)


def test_compact_model_exports_to_onnx():
    onnxruntime = pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    import skreg.onnx  # noqa: F401

    X, y = group_problem()
    X = X.astype(np.float32)
    with pytest.warns(ConvergenceWarning):
        model = MLPRegularizedClassifier(
            hidden_layer_sizes=(16,),
            solver="sgd",
            learning_rate_init=0.05,
            group_l1_weight=[0.02, 0.005],
            l1_method="proximal",
            max_iter=60,
            random_state=0,
            engine="numpy",
        ).fit(X, y)
    small = model.compact()
    assert small.hidden_layer_sizes[0] < 16
    onx = skl2onnx.to_onnx(small, X[:1], options={"zipmap": False})
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {"X": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=1e-5)


def group_prox_by_hand(row, thresholds):
    """argmin_x sum (x_j - v_j)^2 / (2 t_j / lam) + lam ||x||, by brentq on r."""
    from scipy.optimize import brentq

    if np.linalg.norm(row / thresholds) <= 1:
        return np.zeros_like(row)
    r = brentq(
        lambda r: np.sum(row**2 / (r + thresholds) ** 2) - 1, 0, np.abs(row).sum()
    )
    return row * r / (r + thresholds)


@pytest.mark.parametrize("solver, hyper", HAND_STEP_SETTINGS)
def test_group_proximal_steps_by_hand(solver, hyper):
    """A linear model with two outputs: each input's row of 2 weights is a
    group; the step is the optimizer's, then the row's prox (block soft
    thresholding for sgd, the exact prox in adam's metric for adam)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    Y = X @ np.array([[1.0, 0.5], [0.0, 0.0], [-0.5, 0.2], [0.02, -0.01]]) + 0.3
    W0 = np.array([[0.8, 0.4], [0.05, -0.02], [-0.4, 0.1], [0.01, 0.02]])
    b0 = np.array([0.1, -0.1])
    lam = 0.3

    W, b = W0.copy(), b0.copy()
    velocity = np.zeros(10)
    first, second = np.zeros(10), np.zeros(10)
    for t in range(1, 4):
        residual = (X @ W + b - Y) / 2  # squared error averaged over outputs
        gradient = np.r_[(X.T @ residual).ravel(), residual.sum(axis=0)] / len(X)
        theta = np.r_[W.ravel(), b]
        if solver == "sgd":
            rate, momentum = hyper["learning_rate_init"], hyper["momentum"]
            velocity = momentum * velocity - rate * gradient
            theta = theta + velocity
            step = np.full(10, rate / (1 - momentum))
        else:
            first = hyper["beta_1"] * first + (1 - hyper["beta_1"]) * gradient
            second = hyper["beta_2"] * second + (1 - hyper["beta_2"]) * gradient**2
            rate = (
                hyper["learning_rate_init"]
                * np.sqrt(1 - hyper["beta_2"] ** t)
                / (1 - hyper["beta_1"] ** t)
            )
            theta = theta - rate * first / (np.sqrt(second) + hyper["epsilon"])
            # adam's metric, as in hand_steps.
            step = (
                rate * (1 - hyper["beta_1"] ** t) / (np.sqrt(second) + hyper["epsilon"])
            )
        W, b = theta[:8].reshape(4, 2), theta[8:]
        thresholds = (lam * step[:8]).reshape(4, 2)
        W = np.array([group_prox_by_hand(W[i], thresholds[i]) for i in range(4)])

    sgd_options = {"nesterovs_momentum": False} if solver == "sgd" else {}
    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        activation="identity",
        solver=solver,
        group_l1_weight=lam,
        l1_method="proximal",
        batch_size=30,
        shuffle=False,
        warm_start=True,
        max_iter=1,
        random_state=0,
        engine="numpy",
        **hyper,
        **sgd_options,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, Y)
    model.coefs_ = [W0.copy()]
    model.intercepts_ = [b0.copy()]
    model.set_params(max_iter=3)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, Y)
    np.testing.assert_allclose(model.coefs_[0], W, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.intercepts_[0], b, rtol=1e-12)
    # The small rows are removed whole, the others kept.
    np.testing.assert_array_equal(model.coefs_[0].any(axis=1), W.any(axis=1))
    assert not W.any(axis=1).all() and W.any(axis=1).any()
