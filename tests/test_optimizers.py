"""Optimizer steps against numbers worked out by hand in the comments."""

import math
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Lasso

from skreg._optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    AdamOptimizer,
    SGDOptimizer,
    make_optimizer,
)

G1 = np.array([0.5, 1.0])
G2 = np.array([-1.0, 0.2])


def run(optimizer, gradients, start=(1.0, -2.0)):
    params = np.array(start)
    trajectory = []
    for gradient in gradients:
        optimizer.update(params, gradient)
        trajectory.append(params.copy())
    return trajectory


def test_sgd_with_classical_momentum():
    optimizer = SGDOptimizer(2, np.float64, 0.1, momentum=0.9, nesterov=False)
    first, second = run(optimizer, [G1, G2])
    # v1 = -0.1 * (0.5, 1) = (-0.05, -0.1); p1 = (1, -2) + v1
    assert_allclose(first, [0.95, -2.1])
    # v2 = 0.9 * v1 - 0.1 * (-1, 0.2) = (-0.045 + 0.1, -0.09 - 0.02) = (0.055, -0.11)
    assert_allclose(optimizer.velocity, [0.055, -0.11])
    assert_allclose(second, [0.95 + 0.055, -2.1 - 0.11])


def test_sgd_with_nesterov_momentum():
    optimizer = SGDOptimizer(2, np.float64, 0.1, momentum=0.9, nesterov=True)
    first, second = run(optimizer, [G1, G2])
    # p1 = p0 - 0.1 g1 + 0.9 v1 = (1 - 0.05 - 0.045, -2 - 0.1 - 0.09)
    assert_allclose(first, [0.905, -2.19])
    # p2 = p1 - 0.1 g2 + 0.9 v2 = (0.905 + 0.1 + 0.0495, -2.19 - 0.02 - 0.099)
    assert_allclose(second, [1.0545, -2.309])


def test_sgd_without_momentum_is_gradient_descent():
    optimizer = SGDOptimizer(2, np.float64, 0.5, momentum=0.0, nesterov=False)
    first, second = run(optimizer, [G1, G2])
    assert_allclose(first, [0.75, -2.5])
    assert_allclose(second, [1.25, -2.6])


def test_adam_steps_with_bias_correction():
    optimizer = AdamOptimizer(
        1, np.float64, 0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    )
    params = np.array([1.0])

    optimizer.update(params, np.array([0.5]))
    # m1 = 0.1 * 0.5 = 0.05; v1 = 0.001 * 0.25 = 0.00025
    # lr1 = 0.1 * sqrt(1 - 0.999) / (1 - 0.9) = sqrt(0.001)
    # p1 = 1 - lr1 * m1 / (sqrt(v1) + 1e-8), about 1 - 0.1 (Adam's first step).
    lr1 = math.sqrt(0.001)
    p1 = 1.0 - lr1 * 0.05 / (math.sqrt(0.00025) + 1e-8)
    assert p1 == pytest.approx(0.9, abs=1e-6)
    assert_allclose(params, [p1], rtol=1e-14)
    assert optimizer.learning_rate == pytest.approx(lr1, rel=1e-14)

    optimizer.update(params, np.array([-1.0]))
    # m2 = 0.9 * 0.05 + 0.1 * (-1) = -0.055
    # v2 = 0.999 * 0.00025 + 0.001 * 1 = 0.00124975
    # lr2 = 0.1 * sqrt(1 - 0.999**2) / (1 - 0.9**2) = 0.1 * sqrt(0.001999) / 0.19
    lr2 = 0.1 * math.sqrt(0.001999) / 0.19
    p2 = p1 + lr2 * 0.055 / (math.sqrt(0.00124975) + 1e-8)
    assert_allclose(params, [p2], rtol=1e-14)
    assert optimizer.t == 2
    assert_allclose(optimizer.first_moment, [-0.055], rtol=1e-14)
    assert_allclose(optimizer.second_moment, [0.00124975], rtol=1e-14)
    # The per-coordinate step in adam's metric: the step per unit of the
    # bias-corrected mean gradient m / (1 - 0.9**2), so without lr2's
    # 1 / (1 - 0.9**2), which corrects m: 0.1 * sqrt(0.001999) / (sqrt(v2) + eps).
    assert_allclose(
        optimizer.step_size(),
        [0.1 * math.sqrt(0.001999) / (math.sqrt(0.00124975) + 1e-8)],
        rtol=1e-14,
    )
    # The update is that step times the bias-corrected mean gradient.
    assert_allclose(
        optimizer.step_size() * (0.055 / (1 - 0.9**2)), [p2 - p1], rtol=1e-12
    )


def test_invscaling_schedule():
    optimizer = SGDOptimizer(
        2, np.float64, 0.5, learning_rate="invscaling", momentum=0.0, power_t=0.5
    )
    optimizer.iteration_ends(99)
    # 0.5 / (99 + 1) ** 0.5
    assert optimizer.learning_rate == pytest.approx(0.05)
    assert optimizer.step_size() == pytest.approx(0.05)
    params = np.array([1.0, -2.0])
    optimizer.update(params, G1)
    assert_allclose(params, [1.0 - 0.025, -2.0 - 0.05])


def test_constant_schedule_keeps_the_rate_and_stops():
    optimizer = SGDOptimizer(2, np.float64, 0.5)
    optimizer.iteration_ends(99)
    assert optimizer.learning_rate == 0.5
    assert optimizer.trigger_stopping("No improvement.", verbose=False)


def test_adaptive_schedule_divides_by_five_until_below_1e_minus_6(capsys):
    optimizer = SGDOptimizer(2, np.float64, 0.1, learning_rate="adaptive")
    # 0.1 / 5**7 = 1.28e-6 > 1e-6, 0.1 / 5**8 = 2.56e-7 <= 1e-6: eight divisions,
    # then the ninth call stops.
    for divisions in range(1, 9):
        assert not optimizer.trigger_stopping("No improvement.", verbose=True)
        assert optimizer.learning_rate == pytest.approx(0.1 / 5**divisions)
    assert optimizer.trigger_stopping("No improvement.", verbose=True)
    assert optimizer.learning_rate == pytest.approx(2.56e-7)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9
    assert "Setting learning rate to 0.020000" in lines[0]
    assert "too small" in lines[-1]


ALL_OPTIMIZERS = list(OPTIMIZERS.values())
OPTIMIZER_IDS = list(OPTIMIZERS)


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_float32_state_stays_float32(make):
    optimizer = make(2, np.float32, 0.1)
    params = np.array([1.0, -2.0], dtype=np.float32)
    optimizer.update(params, G1.astype(np.float32))
    assert params.dtype == np.float32
    assert optimizer.scratch.dtype == np.float32


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_pickled_optimizer_continues_identically(make):
    optimizer = make(2, np.float64, 0.1)
    run(optimizer, [G1])
    restored = pickle.loads(pickle.dumps(optimizer))
    assert run(restored, [G2])[0].tolist() == run(optimizer, [G2])[0].tolist()


def test_float32_state_stays_float32_over_its_state_arrays():
    for make in ALL_OPTIMIZERS:
        optimizer = make(3, np.float32, 0.1)
        assert all(state.dtype == np.float32 for state in optimizer.state_arrays())


#: Every registered optimizer has a test of its steps against hand-computed
#: numbers above; a new one adds its test and its name here.
HAND_COMPUTED = {
    "sgd": [
        test_sgd_with_classical_momentum,
        test_sgd_with_nesterov_momentum,
        test_sgd_without_momentum_is_gradient_descent,
    ],
    "adam": [test_adam_steps_with_bias_correction],
}


def test_every_optimizer_has_hand_computed_steps():
    assert set(HAND_COMPUTED) == set(OPTIMIZERS)


#: A separable quadratic 1/2 sum a (theta - c)^2, minimum at c.
CURVATURE = np.array([1.0, 4.0, 0.5])
CENTRE = np.array([2.0, -1.0, 0.5])


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_optimizer_converges_on_a_quadratic(make):
    optimizer = make(3, np.float64, 0.02)
    params = np.zeros(3)
    for _ in range(3000):
        optimizer.update(params, CURVATURE * (params - CENTRE))
    assert_allclose(params, CENTRE, atol=1e-3)


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_proximal_fixed_point_is_the_lasso(make):
    """Steps on the least squares, then soft thresholding by the step size
    times lambda, settle on scikit-learn's Lasso (no intercept)."""
    from skreg._penalties import L1

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    y = X @ np.array([1.5, 0.0, -0.7, 0.05]) + 0.1 * rng.normal(size=40)
    alpha = 0.1
    reference = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12).fit(X, y)

    optimizer = make(4, np.float64, 0.01)
    params = np.zeros(4)
    step = np.empty(4)
    for _ in range(6000):
        optimizer.update(params, X.T @ (X @ params - y) / len(y))
        threshold = optimizer.step_size(out=step)
        L1.prox(params, threshold * alpha, np.empty(4))
    assert_allclose(params, reference.coef_, atol=2e-3)
    assert_array_equal(params == 0, reference.coef_ == 0)


@pytest.mark.parametrize("schedule", list(SCHEDULES))
@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_every_schedule_drives_every_optimizer(make, schedule):
    optimizer = make(2, np.float64, 0.5, learning_rate=schedule, power_t=0.5)
    optimizer.iteration_ends(99)
    expected = 0.05 if schedule == "invscaling" else 0.5
    assert optimizer.schedule.learning_rate == pytest.approx(expected)
    stops = optimizer.trigger_stopping("No improvement.", verbose=False)
    assert stops == (schedule != "adaptive")


def test_make_optimizer_builds_from_the_estimators_parameters():
    from skreg import MLPRegularizedClassifier

    parameters = MLPRegularizedClassifier(
        momentum=0.5, nesterovs_momentum=False, learning_rate="invscaling"
    ).get_params()
    sgd = make_optimizer("sgd", 3, np.float32, parameters)
    assert (sgd.momentum, sgd.nesterov, sgd.dtype) == (0.5, False, np.float32)
    assert type(sgd.schedule) is SCHEDULES["invscaling"]
    adam = make_optimizer("adam", 3, np.float64, parameters)
    # As scikit-learn: the learning_rate schedule is sgd's; adam's is constant.
    assert type(adam.schedule) is SCHEDULES["constant"]


def test_an_unknown_solver_name_raises_instead_of_training_with_another():
    with pytest.raises(ValueError, match="solver='no-such' names no stochastic"):
        make_optimizer("no-such", 3, np.float64, {"learning_rate_init": 0.1})


def test_the_solver_constraint_comes_from_the_registry():
    from skreg import MLPRegularizedRegressor
    from skreg._base import SOLVERS

    assert set(SOLVERS) == {*OPTIMIZERS, "lbfgs"}
    constraint = MLPRegularizedRegressor._parameter_constraints["solver"][0]
    assert constraint.options == set(SOLVERS)
