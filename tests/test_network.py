"""The flat buffer, the forward pass and the full objective's gradient.

The gradient test compares the engine (``Network.loss_gradient`` plus
``NetworkPenalty.add_gradient``) with central differences of the objective
computed by the independent reference in ``reference_mlp``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from reference_mlp import (
    central_differences,
    hidden_pre_activations,
    logits,
    objective,
    unpack,
)

from conftest import entries
from skreg._network import Network, forward, layer_views, n_parameters
from skreg._penalties import NetworkPenalty

LAYER_SIZES = [4, 5, 3, 2]


def test_layer_views_follow_the_documented_layout():
    size = n_parameters(LAYER_SIZES)
    assert size == (4 * 5 + 5 * 3 + 3 * 2) + (5 + 3 + 2)
    buffer = np.arange(size, dtype=float)
    coefs, intercepts = layer_views(buffer, LAYER_SIZES)
    expected_coefs, expected_intercepts = unpack(buffer, LAYER_SIZES)
    for view, expected in zip(
        coefs + intercepts, expected_coefs + expected_intercepts, strict=True
    ):
        assert_array_equal(view, expected)
        assert np.shares_memory(view, buffer)


def test_network_parameters_are_views_of_the_buffer():
    network = Network(LAYER_SIZES, "relu", "squared_error", np.float64)
    network.coefs[1][2, 0] = 7.0
    network.intercepts[2][1] = -3.0
    coefs, intercepts = unpack(network.params, LAYER_SIZES)
    assert coefs[1][2, 0] == 7.0
    assert intercepts[2][1] == -3.0
    assert np.count_nonzero(network.params) == 2


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("sparse", [False, True])
def test_forward_matches_reference(activation, sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 4))
    theta = rng.normal(size=n_parameters(LAYER_SIZES))
    coefs, intercepts = unpack(theta, LAYER_SIZES)
    X_input = sp.csr_matrix(X) if sparse else X
    result = forward(X_input, coefs, intercepts, activation)[-1]
    assert_allclose(result, logits(X, coefs, intercepts, activation), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["logistic", "relu"])
def test_initialize_draws_glorot_uniform_bounds(dtype, activation):
    layer_sizes = [30, 20, 10]
    network = Network(layer_sizes, activation, "log_loss", dtype)
    network.initialize(np.random.RandomState(0))
    factor = 2.0 if activation == "logistic" else 6.0
    assert network.params.dtype == dtype
    for coef, intercept, (fan_in, fan_out) in zip(
        network.coefs, network.intercepts, [(30, 20), (20, 10)], strict=True
    ):
        bound = np.sqrt(factor / (fan_in + fan_out))
        for values in (coef, intercept):
            assert np.all(np.abs(values) <= bound)
        # Uniform on [-bound, bound]: the extremes are nearly reached.
        assert np.abs(coef).max() > 0.9 * bound


def test_set_parameters_rejects_wrong_shapes():
    network = Network(LAYER_SIZES, "relu", "squared_error", np.float64)
    coefs = [np.ones((4, 5)), np.ones((5, 3)), np.ones((3, 2))]
    intercepts = [np.ones(5), np.ones(3), np.ones(2)]
    network.set_parameters(coefs, intercepts)
    assert_array_equal(network.params, 1.0)
    with pytest.raises(ValueError, match="shapes"):
        network.set_parameters(coefs[:2] + [np.ones((3, 3))], intercepts)


# ---------------------------------------------------------------------------
# The full objective's gradient against central differences
# ---------------------------------------------------------------------------

#: task -> (engine loss name, reference loss kind, number of outputs)
TASKS = {
    "binary": ("binary_log_loss", "logistic", 1),
    "multiclass": ("log_loss", "softmax", 3),
    "multilabel": ("binary_log_loss", "logistic", 3),
    "regression": ("squared_error", "squared", 2),
}

#: One value per layer, different for every layer and every term.
LAMBDAS = {
    "l1_weight": [0.01, 0.02, 0.03],
    "l1_bias": [0.004, 0.005, 0.006],
    "l2_weight": [0.07, 0.08, 0.09],
    "l2_bias": [0.011, 0.012, 0.013],
}


def targets(task, rng, n_samples, n_outputs):
    if task == "multiclass":
        return np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    if task in ("binary", "multilabel"):
        return rng.randint(2, size=(n_samples, n_outputs)).astype(float)
    return rng.normal(size=(n_samples, n_outputs))


def penalty_segments(layer_sizes):
    """The segments of LAMBDAS, laid out as the buffer (weights, then biases)."""
    segments, offset = [], 0
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    for layer, (fan_in, fan_out) in enumerate(pairs):
        size = fan_in * fan_out
        segments.extend(
            entries(
                offset,
                offset + size,
                LAMBDAS["l1_weight"][layer],
                LAMBDAS["l2_weight"][layer],
            )
        )
        offset += size
    for layer, (_, fan_out) in enumerate(pairs):
        segments.extend(
            entries(
                offset,
                offset + fan_out,
                LAMBDAS["l1_bias"][layer],
                LAMBDAS["l2_bias"][layer],
            )
        )
        offset += fan_out
    return segments


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("task", list(TASKS))
def test_objective_gradient_matches_central_differences(activation, task):
    loss, kind, n_outputs = TASKS[task]
    layer_sizes = [4, 5, 3, n_outputs]
    rng = np.random.RandomState(0)
    n_samples = 7
    X = rng.normal(size=(n_samples, 4))
    Y = targets(task, rng, n_samples, n_outputs)
    sample_weight = rng.uniform(0.2, 2.0, size=n_samples)
    size = n_parameters(layer_sizes)
    # Every parameter at least 0.2 away from the L1 kink at zero.
    theta = rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.2, 0.8, size=size)

    step = 1e-6
    if activation == "relu":
        # No hidden pre-activation within far more than a step of relu's kink.
        coefs, intercepts = unpack(theta, layer_sizes)
        pre_activations = hidden_pre_activations(X, coefs, intercepts, activation)
        assert min(np.abs(z).min() for z in pre_activations) > 1e3 * step

    network = Network(layer_sizes, activation, loss, np.float64)
    network.params[...] = theta
    data_loss = network.loss_gradient(
        X, Y, sample_weight / sample_weight.sum(), network.workspace(n_samples)
    )
    penalty = NetworkPenalty(penalty_segments(layer_sizes), size)
    scratch = np.empty(size)
    value = data_loss + penalty.value(network.params, scratch)
    penalty.add_gradient(network.params, network.gradient, scratch)

    def reference(parameters):
        return objective(
            parameters, layer_sizes, activation, kind, X, Y, sample_weight, LAMBDAS
        )

    assert value == pytest.approx(reference(theta), rel=1e-12)
    expected = central_differences(reference, theta, step=step)
    assert_allclose(network.gradient, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_sparse_and_dense_input_give_the_same_gradient(activation):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(8, 4)) * (rng.uniform(size=(8, 4)) < 0.5)
    Y = rng.normal(size=(8, 2))
    weights = np.full(8, 1 / 8)
    gradients = []
    for X_input in (X, sp.csr_matrix(X)):
        network = Network([4, 5, 2], activation, "squared_error", np.float64)
        network.initialize(np.random.RandomState(0))
        network.loss_gradient(X_input, Y, weights, network.workspace(8))
        gradients.append(network.gradient.copy())
    assert np.count_nonzero(gradients[0]) > gradients[0].size // 2
    assert_allclose(gradients[1], gradients[0], rtol=1e-12, atol=1e-15)
