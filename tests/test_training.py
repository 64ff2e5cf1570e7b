"""The training core without an estimator: the stopping rule, the step, the loops."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import entries
from skreg._network import Network
from skreg._optimizers import SGDOptimizer
from skreg._penalties import NetworkPenalty
from skreg._training import (
    MiniBatches,
    StoppingRule,
    TrainingDiverged,
    TrainStep,
    train_lbfgs,
    train_stochastic,
)


def test_stopping_rule_on_a_loss_counts_epochs_without_improvement():
    rule = StoppingRule(tol=0.1, n_iter_no_change=2, maximize=False)
    # 1.0 is a new best; 0.95 is better but not by tol; 0.8 improves by 0.2.
    assert rule.update(1.0) and rule.count == 0
    assert rule.update(0.95) and rule.count == 1
    assert not rule.update(0.99) and rule.count == 2
    assert not rule.exhausted
    assert rule.update(0.8) and rule.count == 0
    for _ in range(3):
        rule.update(0.79)
    assert rule.exhausted and rule.best == 0.79
    rule.restart_count()
    assert not rule.exhausted


def test_stopping_rule_on_a_score_and_with_no_limit():
    rule = StoppingRule(tol=0.01, n_iter_no_change=np.inf, maximize=True)
    for score in (0.5, 0.4, 0.4, 0.3) * 50:
        rule.update(score)
    assert rule.best == 0.5 and rule.count == 199
    assert not rule.exhausted


def small_problem(seed=0, n_samples=64):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    Y = (X @ np.array([[1.0], [-2.0], [0.5]])) + 0.3
    return X, Y


def test_train_stochastic_returns_a_result_and_writes_only_the_network():
    X, Y = small_problem()
    network = Network([3, 4, 1], "tanh", "squared_error", np.float64)
    network.initialize(np.random.RandomState(0))
    penalty = NetworkPenalty(entries(0, network.params.size, 0.0, 1e-4), 21)
    optimizer = SGDOptimizer(network.params.size, np.float64, 0.05)
    step = TrainStep(network, penalty, optimizer, 16, proximal=False)
    batches = MiniBatches(X, Y, np.ones(len(X)), 16, shuffle=True)
    stopping = StoppingRule(1e-4, 10, maximize=False)
    result = train_stochastic(
        step, batches, stopping, max_epochs=30, random_state=np.random.RandomState(0)
    )
    assert result.n_iter == len(result.loss_curve) <= 30
    assert result.n_samples_seen == result.n_iter * len(X)
    assert result.loss_curve[-1] < result.loss_curve[0] / 10
    assert result.final_loss == result.loss_curve[-1]
    assert result.optimizer is optimizer and result.stopping is stopping


def test_train_step_is_data_gradient_penalty_update_in_that_order():
    X, Y = small_problem(n_samples=8)
    weights = np.full(8, 1 / 8)

    def pieces():
        network = Network([3, 2, 1], "relu", "squared_error", np.float64)
        network.initialize(np.random.RandomState(1))
        penalty = NetworkPenalty(entries(0, 11, 1e-2, 1e-2), 11)
        return network, penalty, SGDOptimizer(11, np.float64, 0.1, momentum=0.0)

    network, penalty, optimizer = pieces()
    data_loss, penalty_value = TrainStep(network, penalty, optimizer, 8, False)(
        X, Y, weights
    )
    # The same, by hand: gradient descent on data gradient + penalty gradient.
    reference, reference_penalty, _ = pieces()
    before = reference.params.copy()
    expected_loss = reference.loss_gradient(X, Y, weights, reference.workspace(8))
    expected_penalty = reference_penalty.add_gradient(
        reference.params, reference.gradient, np.empty(11)
    )
    assert data_loss == expected_loss and penalty_value == expected_penalty
    assert_allclose(network.params, before - 0.1 * reference.gradient, rtol=1e-15)


@pytest.mark.parametrize("tol", [1e-12, 1e-4])
def test_train_lbfgs_reaches_least_squares(tol):
    """Exactly, at any tol: without hidden layer lbfgs is polished."""
    X, Y = small_problem()
    Y = Y + np.random.RandomState(1).normal(scale=0.1, size=Y.shape)
    network = Network([3, 1], "identity", "squared_error", np.float64)
    penalty = NetworkPenalty([], network.params.size)
    result = train_lbfgs(
        network,
        penalty,
        X,
        Y,
        np.ones(len(X)),
        max_iter=200,
        max_fun=1000,
        tol=tol,
        proximal=False,
    )
    design = np.column_stack([X, np.ones(len(X))])
    solution, *_ = np.linalg.lstsq(design, Y)
    assert_allclose(network.params, solution.ravel(), rtol=0, atol=1e-12)
    assert result.converged and result.n_iter > 0
    residual = design @ solution - Y
    assert result.final_loss == pytest.approx(np.mean(residual**2) / 2, rel=1e-12)


@pytest.mark.parametrize("max_iter, converged", [(10_000, True), (5, False)])
def test_train_lbfgs_with_a_hidden_layer_stops_on_convergence_or_says_why(
    max_iter, converged
):
    """A network stops where its loss stops decreasing, long before a large
    max_iter; a small one is reported, for the ConvergenceWarning."""
    X, Y = small_problem(n_samples=200)
    network = Network([3, 8, 1], "tanh", "squared_error", np.float64)
    network.initialize(np.random.RandomState(0))
    penalty = NetworkPenalty(entries(0, 32, 0.0, 1e-3), network.params.size)
    result = train_lbfgs(
        network,
        penalty,
        X,
        np.tanh(Y),
        np.ones(len(X)),
        max_iter=max_iter,
        max_fun=15_000,
        tol=1e-4,
        proximal=False,
    )
    assert result.converged is converged
    if converged:
        assert result.n_iter < max_iter // 10
    else:
        assert result.n_iter == max_iter
        assert "failed to converge after 5 iterations" in result.stop_reason


def test_divergence_is_reported_by_the_core():
    X, Y = small_problem()
    network = Network([3, 4, 1], "relu", "squared_error", np.float64)
    network.initialize(np.random.RandomState(0))
    penalty = NetworkPenalty([], network.params.size)
    optimizer = SGDOptimizer(network.params.size, np.float64, 1e6)
    step = TrainStep(network, penalty, optimizer, 64, proximal=False)
    batches = MiniBatches(X, 1e100 * Y, np.ones(len(X)), 64, shuffle=False)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged):
        train_stochastic(
            step,
            batches,
            StoppingRule(0.0, 10, maximize=False),
            max_epochs=50,
            random_state=np.random.RandomState(0),
        )
