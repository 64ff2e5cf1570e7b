"""Activations, derivatives and losses against the reference formulas."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from reference_mlp import (
    HIDDEN_ACTIVATIONS,
    central_differences,
    per_sample_loss,
    softmax,
)

from conftest import requires_sklearn_poisson_mlp
from skreg._functions import (
    ACTIVATIONS,
    DERIVATIVES,
    LOSS_CURVATURES,
    LOSSES,
    OUTPUT_ACTIVATION,
    SHIFT_INVARIANT_LOSSES,
    log_softmax,
)

# Points away from relu's kink at 0.
Z = np.array([[-3.0, -0.7, 0.2, 1.5], [2.5, -1.2, 0.9, -0.05]])


@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu"])
def test_activation_matches_formula_in_place(name):
    Z_work = Z.copy()
    assert ACTIVATIONS[name](Z_work) is None
    assert_allclose(Z_work, HIDDEN_ACTIVATIONS[name](Z), rtol=1e-15)


@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu"])
def test_derivative_matches_central_differences(name):
    activation = HIDDEN_ACTIVATIONS[name]
    expected = np.array(
        [
            central_differences(lambda z: activation(z).sum(), row, step=1e-7)
            for row in Z
        ]
    )
    A = Z.copy()
    ACTIVATIONS[name](A)
    delta = np.full_like(Z, 3.0)
    DERIVATIVES[name](A, delta)
    assert_allclose(delta, 3.0 * expected, rtol=1e-6, atol=1e-9)


def test_relu_derivative_is_zero_at_zero():
    A = np.array([[0.0, 2.0]])
    delta = np.array([[5.0, 5.0]])
    DERIVATIVES["relu"](A, delta)
    assert_allclose(delta, [[0.0, 5.0]])


def test_softmax_rows_sum_to_one_without_overflow():
    Z_work = np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])
    ACTIVATIONS["softmax"](Z_work)
    assert_allclose(Z_work[0], [0.5, 0.5, 0.0])
    e = np.exp([1.0, 2.0, 3.0])
    assert_allclose(Z_work[1], e / e.sum())


def test_exp_activation_is_the_exponential_in_place():
    Z_work = Z.copy()
    ACTIVATIONS["exp"](Z_work)
    assert_allclose(Z_work, np.exp(Z), rtol=1e-15)


@requires_sklearn_poisson_mlp
def test_poisson_loss_is_scikit_learns():
    from sklearn.neural_network._base import poisson_loss

    rng = np.random.RandomState(0)
    logits = rng.normal(size=(8, 2))
    Y = rng.poisson(1.5, size=(8, 2)).astype(float)
    weights = rng.uniform(0.1, 1.0, size=8)
    value = LOSSES["poisson"](logits.copy(), Y, weights / weights.sum())
    assert value == pytest.approx(poisson_loss(Y, np.exp(logits), weights), rel=1e-12)


def test_logistic_does_not_overflow():
    Z_work = np.array([[-1000.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        ACTIVATIONS["logistic"](Z_work)
    assert_allclose(Z_work, [[0.0, 1.0]])


def test_log_softmax_is_stable_for_large_logits():
    Z_big = np.array([[1000.0, 0.0], [2.0, 1.0]])
    assert_allclose(log_softmax(Z_big)[0], [0.0, -1000.0])
    assert_allclose(log_softmax(Z_big)[1], np.log(softmax(Z_big[1:]))[0])


def make_targets(loss, rng, shape):
    if loss == "log_loss":
        return np.eye(shape[1])[rng.randint(shape[1], size=shape[0])]
    if loss == "binary_log_loss":
        return rng.randint(2, size=shape).astype(float)
    if loss == "poisson":
        # Counts, zeros included (0 log 0 = 0).
        return rng.poisson(2.0, size=shape).astype(float)
    return rng.normal(size=shape)


KIND = {
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
    "squared_error": "squared",
    "poisson": "poisson",
}


#: Each loss with one and several outputs (log_loss needs two classes).
LOSS_SHAPES = [
    ("log_loss", 2),
    ("log_loss", 3),
    ("binary_log_loss", 1),
    ("binary_log_loss", 3),
    ("squared_error", 1),
    ("squared_error", 3),
    ("poisson", 1),
    ("poisson", 3),
]


@pytest.mark.parametrize("loss, n_outputs", LOSS_SHAPES)
def test_loss_value_and_gradient_match_reference(loss, n_outputs):
    rng = np.random.RandomState(0)
    logits = rng.normal(scale=2.0, size=(6, n_outputs))
    Y = make_targets(loss, rng, logits.shape)
    weights = rng.uniform(0.1, 1.0, size=6)
    weights /= weights.sum()

    def reference(z_flat):
        per_sample = per_sample_loss(z_flat.reshape(logits.shape), Y, KIND[loss])
        return np.dot(weights, per_sample)

    Z_work = logits.copy()
    value = LOSSES[loss](Z_work, Y, weights)
    assert value == pytest.approx(reference(logits.ravel()), rel=1e-12)
    expected_gradient = central_differences(reference, logits.ravel())
    assert_allclose(Z_work.ravel(), expected_gradient, rtol=1e-6, atol=1e-10)


def test_every_loss_states_its_curvature():
    assert set(LOSS_CURVATURES) == set(LOSSES)


@pytest.mark.parametrize("loss, n_outputs", LOSS_SHAPES)
def test_loss_curvature_matches_central_differences_of_the_gradient(loss, n_outputs):
    """The curvature times a direction is the derivative of the loss gradient
    (without the sample weights) along that direction."""
    rng = np.random.RandomState(1)
    logits = rng.normal(scale=2.0, size=(6, n_outputs))
    Y = make_targets(loss, rng, logits.shape)
    direction = rng.normal(size=logits.shape)
    ones = np.ones(6)

    def gradient(Z):
        Z = Z.copy()
        LOSSES[loss](Z, Y, ones)
        return Z

    step = 1e-6
    expected = (
        gradient(logits + step * direction) - gradient(logits - step * direction)
    ) / (2 * step)
    outputs = logits.copy()
    ACTIVATIONS[OUTPUT_ACTIVATION[loss]](outputs)
    actual = LOSS_CURVATURES[loss](outputs, direction)
    assert_allclose(actual, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_shift_invariant_losses_are_those_unchanged_by_a_shift(loss):
    rng = np.random.RandomState(2)
    logits = rng.normal(size=(5, 3))
    Y = make_targets(loss, rng, logits.shape)
    weights = np.full(5, 0.2)
    shifted = logits + rng.normal(size=(5, 1))
    unchanged = LOSSES[loss](logits.copy(), Y, weights) == pytest.approx(
        LOSSES[loss](shifted, Y, weights), rel=1e-12
    )
    assert unchanged is (loss in SHIFT_INVARIANT_LOSSES)


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_log_losses_are_finite_for_huge_logits(loss):
    # A confidently wrong prediction costs about the size of the logit.
    Z_work = np.array([[800.0, -800.0]])
    Y = np.array([[0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = LOSSES[loss](Z_work, Y, np.array([1.0]))
    # softmax: logsumexp(z) - z_1 = 800 + 800; logistic: 800 + 800 over the units.
    assert value == pytest.approx(1600.0)
    assert np.all(np.isfinite(Z_work))


def test_each_loss_names_its_output_activation():
    assert OUTPUT_ACTIVATION == {
        "squared_error": "identity",
        "log_loss": "softmax",
        "binary_log_loss": "logistic",
        "poisson": "exp",
    }
