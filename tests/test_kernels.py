"""The compiled kernels against skreg's own NumPy reference, run on copies.

Where a kernel performs the reference's IEEE operations in the reference's
order (additions, products, divisions, square roots, comparisons), its
results must be the same bits; where it computes a transcendental function
(``exp``, ``log``) with the C library instead of NumPy, or sums in another
order (penalty and loss values), they must agree to a few ulps of the dtype.
"""

import re
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

numba = pytest.importorskip("numba")

from conftest import entries  # noqa: E402
from skreg import _kernels  # noqa: E402
from skreg._functions import ACTIVATIONS, DERIVATIVES, LOSSES  # noqa: E402
from skreg._network import parameter_slices  # noqa: E402
from skreg._optimizers import AdamOptimizer, SGDOptimizer  # noqa: E402
from skreg._penalties import GroupLasso, NetworkPenalty, PenaltyEntry  # noqa: E402

DTYPES = [np.float64, np.float32]
#: Agreement to rounding, for the results that are not the same bits.
RTOL = {np.float64: 1e-12, np.float32: 1e-5}
HIDDEN = ["identity", "logistic", "tanh", "relu"]
N_STEPS = 4

OPTIMIZERS = {
    "sgd": lambda n, dtype: SGDOptimizer(n, dtype, 0.05, momentum=0.0, nesterov=False),
    "sgd-momentum": lambda n, dtype: SGDOptimizer(
        n, dtype, 0.05, momentum=0.9, nesterov=False
    ),
    "sgd-nesterov": lambda n, dtype: SGDOptimizer(
        n, dtype, 0.05, momentum=0.9, nesterov=True
    ),
    "adam": lambda n, dtype: AdamOptimizer(n, dtype, 0.01),
}


def assert_same_bits(actual, expected):
    """Equal to the last bit, signed zeros included."""
    assert actual.dtype == expected.dtype
    unsigned = np.dtype(f"u{actual.dtype.itemsize}")
    assert_array_equal(actual.view(unsigned), expected.view(unsigned))


def logits(dtype, n_columns, seed=0):
    """Values around zero, both zeros, and saturating magnitudes."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(scale=2.0, size=(7, n_columns))
    Z.flat[:4] = 0.0, -0.0, 40.0, -40.0
    return Z.astype(dtype)


# ---------------------------------------------------------------------------
# The tables


def test_tables_have_the_references_names():
    assert set(_kernels.BIAS_ACTIVATIONS) == set(DERIVATIVES)
    assert set(_kernels.DELTA_DERIVATIVES) == set(DERIVATIVES)
    assert set(_kernels.LOSS_GRADIENTS) == set(LOSSES)


def compiled_functions():
    return {
        name: value
        for name, value in vars(_kernels).items()
        if isinstance(value, numba.core.registry.CPUDispatcher)
    }


def test_every_kernel_is_cached_ieee_and_serial():
    functions = compiled_functions()
    assert "adam_step" in functions and "_reorderable_add" in functions
    for name, function in functions.items():
        options = function.targetoptions
        assert type(function._cache).__name__ == "FunctionCache", name
        assert options["error_model"] == "numpy", name
        assert not options.get("parallel"), name
        # Only the one addition meant for sums may be reassociated; no
        # function may assume away NaN or inf.
        expected = {"reassoc"} if name == "_reorderable_add" else False
        assert options["fastmath"] == expected, name


# ---------------------------------------------------------------------------
# Forward: bias + activation


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_bias_activation_matches_reference(name, dtype):
    Z = logits(dtype, 5)
    Z[2, :3] = np.nan, np.inf, -np.inf
    bias = np.random.default_rng(1).normal(size=5).astype(dtype)
    bias[0] = 0.0
    expected = Z.copy()
    expected += bias
    ACTIVATIONS[name](expected)

    assert _kernels.BIAS_ACTIVATIONS[name](Z, bias) is None
    assert Z.dtype == dtype
    if name == "logistic":
        # exp from the C library, not scipy's.
        assert_allclose(Z, expected, rtol=RTOL[dtype], atol=0)
        assert_array_equal(np.isnan(Z), np.isnan(expected))
    else:
        assert_same_bits(Z, expected)


def test_bias_activation_of_a_row_slice():
    # Training uses the first rows of its buffers for a short last batch.
    buffer = logits(np.float64, 4)
    bias = np.arange(4.0)
    expected = buffer[:3] + bias
    _kernels.BIAS_ACTIVATIONS["relu"](buffer[:3], bias)
    assert_same_bits(buffer[:3], np.maximum(expected, 0))
    assert_same_bits(buffer[3:], logits(np.float64, 4)[3:])


# ---------------------------------------------------------------------------
# Backward: the activation's derivative fused into the delta


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_delta_derivative_matches_reference(name, dtype):
    A = logits(dtype, 5)
    ACTIVATIONS[name](A)
    delta = np.random.default_rng(2).normal(size=A.shape).astype(dtype)
    delta[3, :3] = np.nan, np.inf, -np.inf
    A_before = A.copy()
    expected = delta.copy()
    DERIVATIVES[name](A.copy(), expected)

    assert _kernels.DELTA_DERIVATIVES[name](A, delta) is None
    assert_same_bits(delta, expected)
    assert_same_bits(A, A_before)


# ---------------------------------------------------------------------------
# Output layer: loss and gradient


def targets(name, dtype, n_rows, n_columns, seed=3):
    rng = np.random.default_rng(seed)
    if name == "log_loss":
        return np.eye(n_columns, dtype=dtype)[rng.integers(n_columns, size=n_rows)]
    if name == "binary_log_loss":
        return rng.integers(2, size=(n_rows, n_columns)).astype(dtype)
    if name == "poisson":
        return rng.poisson(1.5, size=(n_rows, n_columns)).astype(dtype)
    return rng.normal(size=(n_rows, n_columns)).astype(dtype)


def sample_weights(dtype, n_rows, seed=4):
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, size=n_rows)
    weights[-1] = 0.0
    return (weights / weights.sum()).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, n_columns",
    [("log_loss", 4), ("binary_log_loss", 1), ("binary_log_loss", 3)]
    + [("squared_error", 2), ("poisson", 1), ("poisson", 3)],
)
def test_loss_gradient_matches_reference(name, n_columns, dtype):
    Z = logits(dtype, n_columns)
    if name == "log_loss":
        # A probability below the smallest normal number: flushed to zero.
        Z[3] = 0.0
        Z[3, 0] = 720.0 if dtype == np.float64 else 95.0
    Y = targets(name, dtype, *Z.shape)
    weights = sample_weights(dtype, Z.shape[0])
    expected = Z.copy()
    expected_loss = LOSSES[name](expected, Y, weights)

    loss = _kernels.LOSS_GRADIENTS[name](Z, Y, weights)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=RTOL[dtype])
    # The gradient is w_i (p - y): where p is close to y the difference
    # cancels, so its error is a few ulps of w_i, not of itself.
    ulp = np.finfo(dtype).eps * weights.max()
    assert_allclose(Z, expected, rtol=RTOL[dtype], atol=8 * ulp)
    assert_array_equal(Z == 0, expected == 0)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient_propagates_nan(name):
    Z = logits(np.float64, 3)
    Z[2, 1] = np.nan
    Y = targets(name, np.float64, *Z.shape)
    loss = _kernels.LOSS_GRADIENTS[name](Z, Y, sample_weights(np.float64, 7))
    assert np.isnan(loss)
    assert np.isnan(Z[2, 1])
    assert np.isfinite(np.delete(Z, 2, axis=0)).all()


# ---------------------------------------------------------------------------
# Penalty + optimizer step over the flat buffer

#: [n_features, hidden, n_outputs], and for each layer the strengths
#: (l1_weight, l2_weight, l1_bias, l2_bias): some zero, one layer's biases
#: left out of every segment.
LAYER_SIZES = [6, 5, 3]
STRENGTHS = [(0.02, 0.01, 0.0, 0.0), (0.0, 0.03, 0.05, 0.0)]


def network_penalty():
    coef_slices, intercept_slices = parameter_slices(LAYER_SIZES)
    segments = []
    for (l1_w, l2_w, l1_b, l2_b), coefs, intercepts in zip(
        STRENGTHS, coef_slices, intercept_slices, strict=True
    ):
        segments.extend(entries(coefs.start, coefs.stop, l1_w, l2_w))
        segments.extend(entries(intercepts.start, intercepts.stop, l1_b, l2_b))
    return NetworkPenalty(segments, intercept_slices[-1].stop)


def initial_params(size, dtype):
    params = np.random.default_rng(5).normal(scale=0.1, size=size)
    # Zeros of both signs, inside L1 segments (0-1: first weights; the last
    # ones: the output biases) and outside (the hidden biases).
    zeros_at = [0, 1, 46, 47, size - 2, size - 1]
    params[zeros_at] = [0.0, -0.0, 0.0, -0.0, 0.0, -0.0]
    return params.astype(dtype), zeros_at


def gradients(size, dtype):
    rng = np.random.default_rng(6)
    for step in range(N_STEPS):
        gradient = rng.normal(scale=0.05, size=size).astype(dtype)
        if step == 0:
            # At the zeros, the step's direction is the penalty's alone.
            gradient[initial_params(size, dtype)[1]] = 0.0
        yield gradient


def reference_step(optimizer, penalty, params, gradient, proximal):
    """The NumPy step (skreg._training.TrainStep's passes), on its own buffers."""
    gradient = gradient.copy()
    scratch = np.empty_like(params)
    value = penalty.add_gradient(
        params, gradient, scratch, include_nonsmooth=not proximal
    )
    if proximal:
        value = penalty.value(params, scratch)
    optimizer.update(params, gradient)
    if proximal:
        step = optimizer.step_size(out=np.empty_like(params))
        penalty.prox(params, step, scratch)
    return value


def kernel_step(reference, state, params, gradient, segments, proximal):
    """The kernel's step, with the learning rate the reference just used."""
    if isinstance(reference, AdamOptimizer):
        return _kernels.adam_step(
            params, gradient, *state, reference.learning_rate,
            reference.beta_1, reference.beta_2, reference.epsilon,
            reference.proximal_rate, *segments, proximal,
        )  # fmt: skip
    return _kernels.sgd_step(
        params, gradient, *state, reference.learning_rate, reference.momentum,
        reference.nesterov, *segments, proximal, reference.step_size(),
    )  # fmt: skip


@pytest.mark.parametrize("proximal", [False, True], ids=["subgradient", "proximal"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_step_matches_reference_over_several_steps(optimizer, dtype, proximal):
    penalty = network_penalty()
    size = penalty.size
    reference = OPTIMIZERS[optimizer](size, dtype)
    state = [array.copy() for array in reference.state_arrays()]
    segments = _kernels.segment_arrays(penalty)
    expected, _ = initial_params(size, dtype)
    params = expected.copy()
    for gradient in gradients(size, dtype):
        gradient_before = gradient.copy()
        expected_value = reference_step(
            reference, penalty, expected, gradient, proximal
        )
        value = kernel_step(reference, state, params, gradient, segments, proximal)

        assert isinstance(value, float)
        assert value == pytest.approx(expected_value, rel=RTOL[dtype])
        assert_same_bits(params, expected)
        for actual_state, expected_state in zip(
            state, reference.state_arrays(), strict=True
        ):
            assert_same_bits(actual_state, expected_state)
        # The gradient buffer is read, not written.
        assert_same_bits(gradient, gradient_before)
    if proximal:
        # The soft thresholding did leave exact zeros.
        assert np.count_nonzero(params == 0) > 0


#: The group term's lambda by optimizer: some rows removed in N_STEPS
#: steps, not all, in both layers (the optimizers' step sizes differ).
GROUP_STRENGTH = {"sgd": 1.0, "sgd-momentum": 0.1, "sgd-nesterov": 0.1, "adam": 0.12}


def grouped_penalty(strength=0.1):
    """network_penalty's terms and the group term on every layer's weights:
    L1 and L2 on the same rows in the first layer, L2 alone in the second."""
    coef_slices, _ = parameter_slices(LAYER_SIZES)
    group_entries = [
        PenaltyEntry(part.start, part.stop, GroupLasso, strength, shape=shape)
        for part, shape in zip(
            coef_slices,
            zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True),
            strict=True,
        )
    ]
    penalty = network_penalty()
    return NetworkPenalty(penalty.entries + group_entries, penalty.size)


def grouped_params(size, dtype):
    """initial_params with rows of unequal norms, and one zero row (-0.0 in it)."""
    params, _ = initial_params(size, dtype)
    first, _ = parameter_slices(LAYER_SIZES)[0]
    rows = params[first].reshape(LAYER_SIZES[0], LAYER_SIZES[1])
    rows *= np.linspace(0.2, 3.0, LAYER_SIZES[0], dtype=dtype)[:, None]
    rows[2] = 0.0
    rows[2, 1] = -0.0
    return params


def assert_same_zeros(actual, expected):
    """The same entries exactly zero, each with the reference's sign bit."""
    zeros = expected == 0
    assert_array_equal(actual == 0, zeros)
    assert_array_equal(np.signbit(actual[zeros]), np.signbit(expected[zeros]))


def zero_rows(params, penalty):
    """Per group entry, which rows of its block are exactly zero."""
    return [
        (entry.view(params) == 0).all(axis=1)
        for entry in penalty.entries
        if entry.term is GroupLasso
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_kernels_match_the_terms_methods(dtype):
    rng = np.random.default_rng(7)
    theta = (rng.normal(size=(9, 4)) * np.linspace(0.1, 2.0, 9)[:, None]).astype(dtype)
    theta[3] = 0.0
    theta[3, 0] = -0.0
    strength = 0.7
    # Value, and gradient added to a buffer.
    assert _kernels.group_lasso_value(theta, strength) == pytest.approx(
        GroupLasso.value(theta, strength, None), rel=RTOL[dtype]
    )
    source = rng.normal(size=theta.shape).astype(dtype)
    gradient, expected_gradient = source.copy(), source.copy()
    value = _kernels.group_lasso_add_gradient(theta, strength, gradient)
    expected_value = GroupLasso.add_gradient(
        theta, strength, expected_gradient, np.empty_like(theta)
    )
    assert value == pytest.approx(expected_value, rel=RTOL[dtype])
    assert gradient.dtype == dtype
    # Each entry adds at most lambda: its rounding is relative to lambda.
    assert_allclose(
        gradient, expected_gradient, rtol=RTOL[dtype], atol=RTOL[dtype] * strength
    )
    assert_same_bits(gradient[3], source[3])
    # Block soft thresholding with a scalar threshold, and the step in adam's
    # metric with per-coordinate thresholds lambda * eta_t / (sqrt(v) + eps).
    second_moment = (rng.uniform(0.1, 1.0, size=theta.shape) ** 4).astype(dtype)
    learning_rate, epsilon = 0.4, 1e-8
    steps = np.sqrt(second_moment)
    steps += epsilon
    np.divide(learning_rate, steps, out=steps)
    cases = {
        "scalar": (
            lambda x: _kernels.group_lasso_prox(x, 1.5),
            lambda x: GroupLasso.prox(x, 1.5, None),
        ),
        "adam": (
            lambda x: _kernels.group_lasso_adam_prox(
                x, second_moment, learning_rate, epsilon, strength
            ),
            lambda x: GroupLasso.prox(x, steps * strength, None),
        ),
    }
    for kernel, reference in cases.values():
        actual, expected = theta.copy(), theta.copy()
        kernel(actual)
        reference(expected)
        assert actual.dtype == dtype
        assert_allclose(actual, expected, rtol=RTOL[dtype], atol=0)
        assert_same_zeros(actual, expected)
        assert not np.signbit(actual[actual == 0]).any(), "zeros must be +0.0"
        # Some rows removed, others kept: both branches ran.
        removed = (actual == 0).all(axis=1)
        assert 1 < removed.sum() < theta.shape[0] - 1


@pytest.mark.parametrize("proximal", [False, True], ids=["subgradient", "proximal"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_step_with_group_term_matches_reference_over_several_steps(
    optimizer, dtype, proximal
):
    penalty = grouped_penalty(GROUP_STRENGTH[optimizer])
    size = penalty.size
    reference = OPTIMIZERS[optimizer](size, dtype)
    state = [array.copy() for array in reference.state_arrays()]
    segments = _kernels.segment_arrays(penalty)
    expected = grouped_params(size, dtype)
    params = expected.copy()
    for gradient in gradients(size, dtype):
        gradient_before = gradient.copy()
        expected_value = reference_step(
            reference, penalty, expected, gradient, proximal
        )
        value = kernel_step(reference, state, params, gradient, segments, proximal)

        assert value == pytest.approx(expected_value, rel=RTOL[dtype])
        assert params.dtype == dtype
        # The row norms are summed in another order than NumPy's einsum:
        # equal to rounding, not to the bit.
        assert_allclose(params, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-2)
        assert_same_zeros(params, expected)
        for actual_state, expected_state in zip(
            state, reference.state_arrays(), strict=True
        ):
            assert_allclose(actual_state, expected_state, rtol=RTOL[dtype], atol=0)
        assert_same_bits(gradient, gradient_before)
    removed = zero_rows(params, penalty)
    for actual, wanted in zip(removed, zero_rows(expected, penalty), strict=True):
        assert_array_equal(actual, wanted)
    if proximal:
        # The group's proximal step removed rows, and kept others, in the
        # layer where L1 acts too and in the one where it does not.
        for rows in removed:
            assert 0 < rows.sum() < rows.size


@pytest.mark.parametrize("proximal", [False, True], ids=["subgradient", "proximal"])
@pytest.mark.parametrize("optimizer", ["sgd-nesterov", "adam"])
def test_step_with_segments_that_cut_rows_and_blocks_matches_reference(
    optimizer, proximal
):
    # Two blocks of 6 x 5: L1 lambdas that change in the middle of a row and
    # one L1 segment across both blocks' boundary; the second block's last
    # rows and the coordinates after it in no segment.
    size = 64
    penalty = NetworkPenalty(
        entries(0, 13, 0.02, 0.01)
        + entries(13, 41, 0.01, 0.0)
        + [
            PenaltyEntry(0, 30, GroupLasso, GROUP_STRENGTH[optimizer], shape=(6, 5)),
            PenaltyEntry(30, 60, GroupLasso, GROUP_STRENGTH[optimizer], shape=(6, 5)),
        ],
        size,
    )
    reference = OPTIMIZERS[optimizer](size, np.float64)
    state = [array.copy() for array in reference.state_arrays()]
    segments = _kernels.segment_arrays(penalty)
    expected = np.random.default_rng(8).normal(scale=0.1, size=size)
    expected[:60] *= np.repeat(np.linspace(0.2, 3.0, 12), 5)
    params = expected.copy()
    for gradient in gradients(size, np.float64):
        expected_value = reference_step(
            reference, penalty, expected, gradient, proximal
        )
        value = kernel_step(reference, state, params, gradient, segments, proximal)
        assert value == pytest.approx(expected_value, rel=RTOL[np.float64])
        assert_allclose(params, expected, rtol=RTOL[np.float64], atol=1e-14)
        assert_same_zeros(params, expected)
    if proximal:
        assert 0 < np.count_nonzero(zero_rows(params, penalty)) < 12


@pytest.mark.parametrize("proximal", [False, True], ids=["subgradient", "proximal"])
def test_step_l1_direction_at_zero_is_that_of_plus_zero(proximal):
    # One plain gradient step with lambda_1 = 1 and a zero data gradient:
    # theta moves by -sign_+(theta), -1 at +0.0 and -0.0 alike; soft
    # thresholding keeps both zeros at +0.0 instead.
    params = np.array([0.0, -0.0, 3.0, -3.0])
    segments = _kernels.segment_arrays(NetworkPenalty(entries(0, 4, 1.0, 0.0), 4))
    value = _kernels.sgd_step(
        params, np.zeros(4), np.zeros(4), 1.0, 0.0, False, *segments, proximal, 1.0
    )  # fmt: skip
    assert value == 6.0
    expected = [0.0, 0.0, 2.0, -2.0] if proximal else [-1.0, -1.0, 2.0, -2.0]
    assert_same_bits(params, np.array(expected))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("make_penalty", [network_penalty, grouped_penalty])
@pytest.mark.parametrize("proximal", [False, True], ids=["subgradient", "proximal"])
@pytest.mark.parametrize("optimizer", ["sgd-nesterov", "adam"])
def test_step_propagates_nan_and_inf(optimizer, proximal, make_penalty):
    # A NaN in a group's row stays NaN through its proximal step (the rest
    # of the row goes to zero with the reference too, or stays finite).
    penalty = make_penalty()
    reference = OPTIMIZERS[optimizer](penalty.size, np.float64)
    state = [array.copy() for array in reference.state_arrays()]
    segments = _kernels.segment_arrays(penalty)
    params, _ = initial_params(penalty.size, np.float64)
    gradient = np.zeros(penalty.size)
    # A NaN gradient inside an L1 segment, an infinite one outside any.
    gradient[[3, 46]] = np.nan, np.inf
    reference.update(params.copy(), gradient)  # sets adam's learning rate
    value = kernel_step(reference, state, params, gradient, segments, proximal)
    assert np.isfinite(value)
    assert np.isnan(params[3])
    assert not np.isfinite(params[46])
    assert np.isfinite(np.delete(params, [3, 46])).all()


def test_step_penalty_of_nan_params_is_nan():
    params = np.zeros(10)
    params[4] = np.nan
    segments = _kernels.segment_arrays(NetworkPenalty(entries(2, 6, 0.1, 0.0), 6))
    value = _kernels.sgd_step(
        params, np.zeros(10), np.zeros(10), 0.1, 0.0, False, *segments, False, 1.0
    )  # fmt: skip
    assert np.isnan(value)


#: The group arrays of a penalty without group term.
NO_GROUPS = (
    np.zeros(0, np.int64),
    np.zeros((0, 2), np.int64),
    np.zeros(0),
)


@pytest.mark.parametrize(
    "starts, stops",
    [([0, 10], [12, 20]), ([5], [3]), ([0], [54]), ([-1], [5])],
    ids=["overlapping", "reversed", "past-the-end", "negative"],
)
def test_step_rejects_segments_that_do_not_fit(starts, stops):
    params = np.zeros(53)
    segments = (np.array(starts), np.array(stops), np.ones(len(starts)))
    with pytest.raises(ValueError, match="segments"):
        _kernels.adam_step(
            params, params.copy(), params.copy(), params.copy(), 0.1, 0.9, 0.999,
            1e-8, 0.1, *segments, np.zeros(len(starts)), *NO_GROUPS, False,
        )  # fmt: skip


@pytest.mark.parametrize(
    "starts, shapes",
    [([0, 10], [(3, 4), (2, 2)]), ([50], [(2, 2)]), ([-1], [(1, 2)])],
    ids=["overlapping", "past-the-end", "negative"],
)
def test_step_rejects_group_blocks_that_do_not_fit(starts, shapes):
    params = np.zeros(53)
    groups = (
        np.array(starts, np.int64),
        np.array(shapes, np.int64),
        np.ones(len(starts)),
    )
    segments = _kernels.segment_arrays(NetworkPenalty([], 53))[:4]
    with pytest.raises(ValueError, match="group blocks"):
        _kernels.sgd_step(
            params, params.copy(), params.copy(), 0.1, 0.9, True,
            *segments, *groups, True, 1.0,
        )  # fmt: skip


def test_segment_arrays_refuse_what_no_kernel_computes():
    class Other(GroupLasso):
        pass

    other = NetworkPenalty([PenaltyEntry(0, 6, Other, 0.1, shape=(2, 3))], 6)
    with pytest.raises(ValueError, match="not Other"):
        _kernels.segment_arrays(other)
    overlapping = NetworkPenalty(
        [
            PenaltyEntry(0, 6, GroupLasso, 0.1, shape=(2, 3)),
            PenaltyEntry(3, 9, GroupLasso, 0.2, shape=(3, 2)),
        ],
        9,
    )
    with pytest.raises(ValueError, match="overlap"):
        _kernels.segment_arrays(overlapping)


def test_step_rejects_buffers_of_other_sizes():
    params = np.zeros(10)
    segments = _kernels.segment_arrays(NetworkPenalty([], 10))
    with pytest.raises(ValueError, match="size"):
        _kernels.sgd_step(
            params, np.zeros(9), np.zeros(10), 0.1, 0.9, True, *segments, False, 1.0
        )  # fmt: skip


# ---------------------------------------------------------------------------
# float32 stays float32

#: A vector of doubles, or a double-precision maths function.
DOUBLE_ARITHMETIC = re.compile(
    r"<\d+ x double>|@(?:llvm\.)?(?:exp|log|log1p|sqrt|tanh)(?:\.f64)?\(double"
)
VECTOR_OF_FLOATS = re.compile(r"<\d+ x float>")


def float32_arguments():
    Z = logits(np.float32, 16)
    bias = np.ones(16, np.float32)
    weights = sample_weights(np.float32, 7)
    penalty = grouped_penalty()
    params = np.zeros(penalty.size, np.float32)
    segments = _kernels.segment_arrays(penalty)
    return {
        "bias_identity": (Z, bias),
        "bias_logistic": (Z, bias),
        "bias_relu": (Z, bias),
        "logistic_delta": (Z, Z),
        "tanh_delta": (Z, Z),
        "relu_delta": (Z, Z),
        "squared_error_gradient": (Z, Z, weights),
        "log_loss_gradient": (Z, Z, weights),
        "binary_log_loss_gradient": (Z, Z, weights),
        "adam_step": (params, params, params, params,
                      0.1, 0.9, 0.999, 1e-8, 0.1, *segments, True),
        "sgd_step": (params, params, params, 0.1, 0.9, True,
                     *segments, True, 1.0),
        "group_lasso_value": (Z, 0.1),
        "group_lasso_add_gradient": (Z, 0.1, Z),
        "group_lasso_prox": (Z, 0.1),
        "group_lasso_adam_prox": (Z, Z, 0.1, 1e-8, 0.1),
    }  # fmt: skip


#: Loops of one exp, log or log1p call per entry, which stay scalar.
SCALAR_LOOPS = {
    "bias_logistic",
    "squared_error_gradient",
    "log_loss_gradient",
    "binary_log_loss_gradient",
}


@numba.njit
def without_float64_root(row, second_moment, learning_rate, epsilon, strength, scratch):
    """Stands in for _metric_prox_row, which computes in float64 on purpose."""


def fresh_copy(name, **replaced):
    """A new compilation of kernel ``name``, some of its globals replaced.

    Cached kernels cannot show their code; the copy's callees are compiled
    anew too, or, for those inlined (``inline='always'``), part of its code.
    """
    function = getattr(_kernels, name).py_func
    namespace = {**function.__globals__, **replaced}
    copy = types.FunctionType(function.__code__, namespace, function.__name__)
    return numba.njit(error_model="numpy")(copy)


@pytest.mark.parametrize("name", sorted(float32_arguments()))
def test_float32_kernel_computes_in_float32(name):
    # The root of the group term's proximal step in adam's metric is found
    # in float64, as its reference (GroupLasso._metric_prox) does: left out
    # here, and checked on its own below.
    fresh = fresh_copy(name, _metric_prox_row=without_float64_root)
    arguments = float32_arguments()[name]
    fresh(*(arg.copy() if isinstance(arg, np.ndarray) else arg for arg in arguments))
    code = fresh.inspect_llvm(fresh.signatures[0])
    assert not DOUBLE_ARITHMETIC.search(code)
    # group_lasso_adam_prox's loops are all in the root left out.
    if name not in SCALAR_LOOPS | {"group_lasso_adam_prox"}:
        # A float64 literal, or numba's negative-index wraparound, would
        # keep the loop scalar.
        assert VECTOR_OF_FLOATS.search(code)


def test_metric_prox_row_takes_adams_steps_in_float32_and_its_root_in_float64():
    fresh = fresh_copy("_metric_prox_row")
    row = np.ones(8, np.float32)
    one = np.float32(1)
    fresh(row, row.copy(), one, np.float32(1e-8), one, np.empty(8))
    code = fresh.inspect_llvm(fresh.signatures[0])
    # The thresholds eta_t / (sqrt(v) + eps) * lambda, as adam's step_size()
    # times lambda in the reference: float32 square roots, vectorised.
    assert re.search(r"@llvm\.sqrt\.v\d+f32\(", code)
    # Newton's method on the row's equation: float64, as the reference.
    assert DOUBLE_ARITHMETIC.search(code)
