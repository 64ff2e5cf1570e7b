r"""Compiled (numba) versions of the training step's element-wise passes.

Each kernel here does in one pass over memory what the NumPy reference
(:mod:`skreg._functions`, :mod:`skreg._penalties`, :mod:`skreg._optimizers`)
does in several, with the same arguments in the same order, in place:

* ``BIAS_ACTIVATIONS[name](Z, bias)``: :math:`Z \leftarrow f(Z + b)` after
  a layer's matrix product (reference: ``Z += bias; ACTIVATIONS[name](Z)``).
* ``DELTA_DERIVATIVES[name](A, delta)``: :math:`\Delta \leftarrow \Delta
  \odot f'(Z)` from the stored activation :math:`A = f(Z)` (reference:
  ``DERIVATIVES[name](A, delta)``, which overwrites ``A``; these leave it
  unchanged).
* ``LOSS_GRADIENTS[name](Z, Y, sample_weight)``: the fused output loss,
  returning the loss and overwriting the logits with its gradient
  (reference: ``LOSSES[name]``).
* :func:`group_lasso_value`, :func:`group_lasso_add_gradient`,
  :func:`group_lasso_prox` and :func:`group_lasso_adam_prox`: the group
  term on a layer's weight block, row by row (reference: the methods of
  :class:`~skreg._penalties.GroupLasso`; the last one is its proximal step
  in adam's metric, the thresholds computed from the second moment).
* :func:`sgd_step` and :func:`adam_step`: the penalty gradient of every
  segment, the optimizer's update and, for ``l1_method='proximal'``, the
  soft thresholding then the group term's proximal step, in one pass over
  the flat parameter buffer, the group blocks a row at a time (reference:
  ``NetworkPenalty.add_gradient``, ``optimizer.update``,
  ``NetworkPenalty.prox``).

Arithmetic runs in the dtype of the array being updated: scalars (learning
rates, strengths) are cast to it once, before the loops, and every constant
in a loop is of that dtype, so float32 stays float32 end to end. Where the
reference is a sequence of IEEE operations (additions, products, divisions,
square roots, comparisons), the kernels perform the same operations in the
same order, so their results are bit for bit the reference's. The
exponentials and logarithms come from the C library instead of NumPy's or
SciPy's loops and agree to a few ulps; sums (the penalty and loss values,
the group term's row norms and the sums of its Newton steps) are
accumulated in another order and agree to rounding. The one computation in
float64 for float32 parameters is the reference's too: the root of the
group term's proximal step in adam's metric. Fusing does not
pay everywhere: compiled code calls ``tanh`` one value at a time, slower
than NumPy's vectorised loop, so the tanh entry adds the bias with a
compiled loop and leaves ``tanh`` to NumPy (see ``bench_kernels.py``).

The kernels are compiled on first use, one specialisation per dtype (and
array layout and writeability), and cached on disk (``cache=True``). They
release the GIL and use no threads of their own: BLAS already uses the
cores, and a second thread pool in the same loop fights it (numba's
``parallel=True`` made the training step several times slower). Without
``fastmath`` LLVM keeps IEEE semantics (NaN and inf propagate, which is how
the estimator detects divergence); the one exception, the additions of the
running sums (:func:`_reorderable_add`), may be reordered so that those
loops vectorise. ``error_model='numpy'`` lets the divisions vectorise too.
The helpers that the fused steps call once per row of a group block are
inlined into them (``inline='always'``): a call that passes array slices
cost about 100 ns, more than the arithmetic of a short row (measured on
rows of 1 to 64 weights).

This module imports numba; nothing in skreg imports it at import time (see
:mod:`skreg._engines`).
"""

import functools

import numba
import numpy as np

from ._optimizers import AdamOptimizer, SGDOptimizer
from ._penalties import (
    L1,
    L2,
    METRIC_PROX_ITERATIONS,
    METRIC_PROX_TOLERANCE,
    GroupLasso,
)

_JIT_OPTIONS = dict(error_model="numpy", fastmath=False, nogil=True)

#: Why numba keeps no cache of these kernels on disk in this process (no
#: writable place for it: numba raises when ``cache=True`` is asked there), or
#: None when it does. :mod:`skreg._engines` reports it.
CACHE_UNAVAILABLE = None


def _kernel(function, **options):
    """Compile ``function`` lazily, once per argument types, cached on disk.

    Where numba finds no writable place for its cache (a read-only install
    and no writable home folder), the kernel compiles in memory instead, and
    :data:`CACHE_UNAVAILABLE` says why.
    """
    global CACHE_UNAVAILABLE
    options = {**_JIT_OPTIONS, **options}
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError as error:
        if "cannot cache" not in str(error):
            raise
        CACHE_UNAVAILABLE = str(error)
        return numba.njit(cache=False, **options)(function)


def dispatchers():
    """The module's compiled kernels (numba dispatchers), by name.

    Returns
    -------
    kernels : dict of str to numba dispatcher
    """
    return {
        name: value
        for name, value in globals().items()
        if isinstance(value, numba.core.dispatcher.Dispatcher)
    }


# ---------------------------------------------------------------------------
# Forward pass: bias and activation in one pass.


@_kernel
def bias_identity(Z, bias):
    r""":math:`Z \leftarrow Z + b` (the output layer), in place.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, fan_out)
        The product :math:`A_{l-1} W_l`; overwritten.
    bias : ndarray of shape (fan_out,)
    """
    if bias.shape[0] != Z.shape[1]:
        raise ValueError("bias must have one entry per column of Z")
    dtype = Z.dtype.type
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] = Z[i, j] + dtype(bias[j])


@_kernel
def bias_logistic(Z, bias):
    r""":math:`Z \leftarrow 1 / (1 + e^{-(Z + b)})`, in place.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, fan_out)
        Overwritten.
    bias : ndarray of shape (fan_out,)
    """
    if bias.shape[0] != Z.shape[1]:
        raise ValueError("bias must have one entry per column of Z")
    dtype = Z.dtype.type
    one = dtype(1)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + dtype(bias[j])
            Z[i, j] = one / (one + np.exp(-z))


def bias_tanh(Z, bias):
    r""":math:`Z \leftarrow \tanh(Z + b)`, in place, in two passes.

    The compiled loop adds the bias; NumPy's ``tanh`` follows. Compiled code
    gets ``tanh`` from the C library, one value at a time, which is several
    times slower than NumPy's vectorised float32 ``tanh`` and no faster in
    float64, so fusing the two passes would cost more than it saves.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, fan_out)
        Overwritten.
    bias : ndarray of shape (fan_out,)
    """
    bias_identity(Z, bias)
    np.tanh(Z, out=Z)


@_kernel
def bias_relu(Z, bias):
    r""":math:`Z \leftarrow \max(Z + b, 0)`, in place.

    As ``np.maximum``: NaN stays NaN and :math:`-0` becomes :math:`+0`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, fan_out)
        Overwritten.
    bias : ndarray of shape (fan_out,)
    """
    if bias.shape[0] != Z.shape[1]:
        raise ValueError("bias must have one entry per column of Z")
    dtype = Z.dtype.type
    zero = dtype(0)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + dtype(bias[j])
            # False for NaN, which passes through.
            Z[i, j] = zero if z <= zero else z


BIAS_ACTIVATIONS = {
    "identity": bias_identity,
    "logistic": bias_logistic,
    "tanh": bias_tanh,
    "relu": bias_relu,
}


# ---------------------------------------------------------------------------
# Backward pass: the activation's derivative fused into the delta.


def identity_delta(A, delta):
    """:math:`f'(z) = 1`; leaves ``delta`` unchanged (nothing to compile)."""


@_kernel
def logistic_delta(A, delta):
    r""":math:`\Delta \leftarrow (\Delta \odot A) \odot (1 - A)`, in place.

    Parameters
    ----------
    A : ndarray of shape (n_samples, fan_out)
        The activation :math:`A = \sigma(Z)`; left unchanged.
    delta : ndarray of shape (n_samples, fan_out)
        Overwritten.
    """
    if A.shape != delta.shape:
        raise ValueError("A and delta must have the same shape")
    dtype = delta.dtype.type
    one = dtype(1)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            a = dtype(A[i, j])
            delta[i, j] = (delta[i, j] * a) * (one - a)


@_kernel
def tanh_delta(A, delta):
    r""":math:`\Delta \leftarrow \Delta \odot (1 - A^2)`, in place.

    Parameters
    ----------
    A : ndarray of shape (n_samples, fan_out)
        The activation :math:`A = \tanh Z`; left unchanged.
    delta : ndarray of shape (n_samples, fan_out)
        Overwritten.
    """
    if A.shape != delta.shape:
        raise ValueError("A and delta must have the same shape")
    dtype = delta.dtype.type
    one = dtype(1)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            a = dtype(A[i, j])
            delta[i, j] = delta[i, j] * (one - a * a)


@_kernel
def relu_delta(A, delta):
    r""":math:`\Delta \leftarrow \Delta \odot [A > 0]`, in place.

    A product by 1 or 0, not a selection, as in the reference: a NaN or an
    infinite delta stays non-finite where the unit is off.

    Parameters
    ----------
    A : ndarray of shape (n_samples, fan_out)
        The activation :math:`A = \max(Z, 0)`; left unchanged.
    delta : ndarray of shape (n_samples, fan_out)
        Overwritten.
    """
    if A.shape != delta.shape:
        raise ValueError("A and delta must have the same shape")
    dtype = delta.dtype.type
    zero, one = dtype(0), dtype(1)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            delta[i, j] = delta[i, j] * (one if A[i, j] > zero else zero)


DELTA_DERIVATIVES = {
    "identity": identity_delta,
    "logistic": logistic_delta,
    "tanh": tanh_delta,
    "relu": relu_delta,
}


# ---------------------------------------------------------------------------
# Penalty and optimizer step over the flat parameter buffer.


@functools.partial(_kernel, fastmath={"reassoc"})
def _reorderable_add(total, term):
    """``total + term``, an addition the compiler may reassociate.

    LLVM vectorises a sum over a loop only if it may reorder the additions.
    Fast-math flags are per instruction, so this one addition, inlined into a
    loop compiled without fastmath, lets that loop's running sums be split
    into vector lanes while every other operation keeps its IEEE order.
    """
    return total + term


# The group term on a layer's weight block, one row (one group) at a time:
# the kernels of the term alone, and the pieces the fused steps call.


@functools.partial(_kernel, inline="always")
def _row_norm(row):
    r""":math:`\|w\|_2` of one row, in its dtype."""
    dtype = row.dtype.type
    total = dtype(0)
    for j in range(row.shape[0]):
        total = _reorderable_add(total, row[j] * row[j])
    return np.sqrt(total)


@functools.partial(_kernel, inline="always")
def _shrink_row(row, threshold):
    r"""Block soft thresholding of one row, in place.

    :math:`w \leftarrow w \max(0, 1 - \tau / \|w\|_2)`, with ``threshold``
    :math:`\tau` already of the row's dtype. As the reference
    (:meth:`~skreg._penalties.GroupLasso.prox` with a scalar threshold): a
    zero or NaN norm gives the factor 0, a NaN factor passes through, and
    the zeros come out +0.0.
    """
    dtype = row.dtype.type
    zero, one = dtype(0), dtype(1)
    norm = _row_norm(row)
    # np.divide(tau, norms, out=ones, where=norms > 0), then 1 - that.
    shrink = one - (threshold / norm if norm > zero else one)
    # np.maximum(shrink, 0): False for NaN, which passes through.
    if shrink < zero:
        shrink = zero
    for j in range(row.shape[0]):
        # + 0 turns the -0.0 of a negative weight times 0 into +0.0.
        row[j] = row[j] * shrink + zero


@functools.partial(_kernel, inline="always")
def _metric_prox_row(row, second_moment, learning_rate, epsilon, strength, scratch):
    r"""The group term's proximal step in adam's metric on one row, in place.

    With :math:`t_j = \lambda \rho / (\sqrt{v_j} + \epsilon)`, :math:`\rho`
    the rate passed (adam's ``proximal_rate``): zero when
    :math:`\sum_j w_j^2 / t_j^2 \le 1`, else :math:`w_j \leftarrow w_j r /
    (r + t_j)`, :math:`r` the root of :math:`\sum_j w_j^2 / (r + t_j)^2 = 1`
    by Newton's method on :math:`(\sum_j w_j^2 / (r + t_j)^2)^{-1/2} = 1`
    from :math:`\|w\|_2 - \sum_j w_j^2 t_j / \|w\|_2^2`, until
    :math:`|h| \le` ``METRIC_PROX_TOLERANCE`` or after
    ``METRIC_PROX_ITERATIONS`` steps. This is
    :meth:`~skreg._penalties.GroupLasso._metric_prox` on one row: the
    thresholds in the row's dtype (adam's ``step_size()`` times lambda),
    the root in float64, the factor cast to the row's dtype. The reference
    stops every row when the last one converges; here each row stops when
    it does (further steps move a converged root by rounding only), and
    Newton's step takes a square root where the reference takes powers
    (equal to rounding, and several times faster).

    Parameters
    ----------
    row, second_moment : ndarray of shape (n,)
        The row after adam's update (overwritten) and its :math:`v`.
    learning_rate, epsilon, strength : scalar of the row's dtype
        :math:`\eta_t`, :math:`\epsilon` and :math:`\lambda`.
    scratch : ndarray of shape (>= n,), float64
        Work space for the thresholds, overwritten.
    """
    dtype = row.dtype.type
    zero = dtype(0)
    n = row.shape[0]
    scaled = 0.0
    total = 0.0
    weighted = 0.0
    for j in range(n):
        step = learning_rate / (np.sqrt(second_moment[j]) + epsilon)
        t = float(step * strength)
        scratch[j] = t
        w = float(row[j])
        square = w * w
        scaled = _reorderable_add(scaled, square / (t * t) if square > 0.0 else 0.0)
        total = _reorderable_add(total, square)
        weighted = _reorderable_add(weighted, square * t)
    # A zero row: the gradient of the quadratic at 0 is within the ball (also
    # False for NaN, which the product by 0 keeps).
    if not scaled > 1.0:
        for j in range(n):
            row[j] = row[j] * zero + zero
        return
    r = np.sqrt(total) - weighted / total
    # np.maximum(r, 0): False for NaN, which passes through.
    if r < 0.0:
        r = 0.0
    for _ in range(METRIC_PROX_ITERATIONS):
        phi = 0.0
        slope = 0.0
        for j in range(n):
            w = float(row[j])
            inverse = 1.0 / (r + scratch[j])
            term = w * w * inverse * inverse
            phi = _reorderable_add(phi, term)
            slope = _reorderable_add(slope, term * inverse)
        # h(r) = phi^(-1/2) - 1 and h'(r) = -phi^(-3/2) phi' / 2 with
        # phi' = -2 slope, so h / h' = h phi^(3/2) / slope: the reference's
        # step, with a square root for its powers (faster, equal to rounding).
        root = np.sqrt(phi)
        h = 1.0 / root - 1.0
        r = r - h * (phi * root) / slope
        if r < 0.0:
            r = 0.0
        if abs(h) <= METRIC_PROX_TOLERANCE:
            break
    for j in range(n):
        row[j] = row[j] * dtype(r / (r + scratch[j])) + zero


@_kernel
def group_lasso_value(theta, strength):
    r""":math:`\lambda \sum_i \|\theta_{i,:}\|_2`, the group term on a weight block.

    Reference: :meth:`skreg._penalties.GroupLasso.value` (the norms in
    theta's dtype, summed in another order: equal to rounding).

    Parameters
    ----------
    theta : ndarray of shape (fan_in, fan_out)
    strength : float
        :math:`\lambda`.

    Returns
    -------
    value : float
    """
    dtype = theta.dtype.type
    total = dtype(0)
    for i in range(theta.shape[0]):
        total += _row_norm(theta[i])
    return strength * float(total)


@_kernel
def group_lasso_add_gradient(theta, strength, gradient):
    r"""Add :math:`\lambda \theta_{i,:} / \|\theta_{i,:}\|_2` to each row of
    ``gradient`` (0 for a zero row); return the term's value.

    Reference: :meth:`skreg._penalties.GroupLasso.add_gradient`: the factor
    :math:`\lambda / \|\theta_{i,:}\|_2` and the products in theta's dtype.

    Parameters
    ----------
    theta : ndarray of shape (fan_in, fan_out)
    strength : float
    gradient : ndarray of shape (fan_in, fan_out)
        Updated in place.

    Returns
    -------
    value : float
        :math:`\lambda \sum_i \|\theta_{i,:}\|_2`.
    """
    if gradient.shape != theta.shape:
        raise ValueError("theta and gradient must have the same shape")
    dtype = theta.dtype.type
    zero, lam = dtype(0), dtype(strength)
    total = zero
    for i in range(theta.shape[0]):
        row, out = theta[i], gradient[i]
        norm = _row_norm(row)
        total += norm
        # np.divide(strength, norms, out=zeros, where=norms > 0).
        scale = lam / norm if norm > zero else zero
        for j in range(row.shape[0]):
            out[j] = out[j] + row[j] * scale
    return strength * float(total)


@_kernel
def group_lasso_prox(theta, threshold):
    r"""Block soft thresholding of each row, in place.

    :math:`\theta_{i,:} \leftarrow \theta_{i,:} \max(0, 1 - \tau /
    \|\theta_{i,:}\|_2)`. Reference:
    :meth:`skreg._penalties.GroupLasso.prox` with a scalar threshold.

    Parameters
    ----------
    theta : ndarray of shape (fan_in, fan_out)
        Updated in place; its zeros come out +0.0.
    threshold : float
        :math:`\tau`, the step size times lambda.
    """
    tau = theta.dtype.type(threshold)
    for i in range(theta.shape[0]):
        _shrink_row(theta[i], tau)


@_kernel
def group_lasso_adam_prox(theta, second_moment, learning_rate, epsilon, strength):
    r"""The group term's proximal step in adam's metric, row by row, in place.

    With the thresholds :math:`t_j = \lambda \rho / (\sqrt{v_j} +
    \epsilon)` computed here from the second moment, :math:`\rho` the rate
    passed (adam's ``proximal_rate``, :math:`\eta \sqrt{1 - \beta_2^t}`):
    each row :math:`w` becomes zero when :math:`\sum_j w_j^2 / t_j^2 \le 1`, otherwise
    :math:`w_j r / (r + t_j)` with :math:`r` the root of :math:`\sum_j
    w_j^2 / (r + t_j)^2 = 1` (see :func:`_metric_prox_row`). Reference:
    :meth:`skreg._penalties.GroupLasso.prox` with the thresholds
    ``AdamOptimizer.step_size() * strength``.

    Parameters
    ----------
    theta : ndarray of shape (fan_in, fan_out)
        Updated in place; its zeros come out +0.0.
    second_moment : ndarray of shape (fan_in, fan_out)
        Adam's :math:`v` after the update.
    learning_rate : float
        :math:`\eta_t`, the bias-corrected rate of the update.
    epsilon : float
    strength : float
        :math:`\lambda`.
    """
    if second_moment.shape != theta.shape:
        raise ValueError("theta and second_moment must have the same shape")
    dtype = theta.dtype.type
    lr, eps, lam = dtype(learning_rate), dtype(epsilon), dtype(strength)
    scratch = np.empty(theta.shape[1])
    for i in range(theta.shape[0]):
        _metric_prox_row(theta[i], second_moment[i], lr, eps, lam, scratch)


# The fused steps: every penalty term, the update and the proximal steps.


def segment_arrays(penalty):
    """The penalty's entries as the arrays the step kernels take.

    The entries of a :class:`~skreg._penalties.NetworkPenalty` are per term;
    the kernels take disjoint slices with both lambdas, so the L1 and L2
    entries are cut at every boundary into slices that carry an L1 and an L2
    lambda (zero where a term is absent). The group entries, which act on
    the rows of a weight block, are passed as they are: where each block
    starts, its shape and its lambda.

    Parameters
    ----------
    penalty : NetworkPenalty
        Of the terms in :data:`FUSED_TERMS` only.

    Returns
    -------
    starts, stops : ndarray of shape (n_segments,), int64
    l1, l2 : ndarray of shape (n_segments,), float64
    group_starts : ndarray of shape (n_groups,), int64
        Where each group entry's block starts in the buffer, in order.
    group_shapes : ndarray of shape (n_groups, 2), int64
        Its shape as the layer's weight matrix, ``(fan_in, fan_out)``.
    group_strengths : ndarray of shape (n_groups,), float64

    Raises
    ------
    ValueError
        If the penalty has another term, which no kernel computes, or two
        group entries on the same parameters.
    """
    lambdas = {L1: np.zeros(penalty.size), L2: np.zeros(penalty.size)}
    groups = []
    for entry in penalty.entries:
        if entry.term is GroupLasso:
            groups.append(entry)
        elif entry.term in lambdas:
            lambdas[entry.term][entry.start : entry.stop] = entry.strength
        else:
            raise ValueError(
                f"The fused step kernels compute the terms "
                f"{', '.join(sorted(term.__name__ for term in FUSED_TERMS))} "
                f"only, not {entry.label}."
            )
    groups.sort(key=lambda entry: entry.start)
    for before, after in zip(groups[:-1], groups[1:], strict=True):
        if after.start < before.stop:
            raise ValueError(
                f"The fused step kernels take group entries on disjoint "
                f"blocks; {before.label} and {after.label} overlap."
            )
    l1_all, l2_all = lambdas[L1], lambdas[L2]
    # A new slice wherever either lambda changes.
    changes = np.flatnonzero((np.diff(l1_all) != 0) | (np.diff(l2_all) != 0)) + 1
    bounds = np.concatenate([[0], changes, [penalty.size]]).astype(np.int64)
    starts, stops = bounds[:-1], bounds[1:]
    keep = (l1_all[starts] != 0) | (l2_all[starts] != 0)
    starts, stops = starts[keep], stops[keep]
    return (
        np.ascontiguousarray(starts),
        np.ascontiguousarray(stops),
        l1_all[starts].copy(),
        l2_all[starts].copy(),
        np.array([entry.start for entry in groups], dtype=np.int64),
        np.array([entry.shape for entry in groups], dtype=np.int64).reshape(-1, 2),
        np.array([entry.strength for entry in groups], dtype=np.float64),
    )


@_kernel
def _check_step_arguments(
    size,
    state_sizes,
    starts,
    stops,
    l1,
    l2,
    group_starts,
    group_shapes,
    group_strengths,
):
    """Raise ValueError unless the buffers, segments and groups fit together."""
    for state_size in state_sizes:
        if state_size != size:
            raise ValueError("gradient and optimizer state must match params' size")
    n_segments = starts.shape[0]
    if stops.shape[0] != n_segments or l1.shape[0] != n_segments:
        raise ValueError("starts, stops, l1 and l2 must have the same length")
    if l2.shape[0] != n_segments:
        raise ValueError("starts, stops, l1 and l2 must have the same length")
    position = 0
    for s in range(n_segments):
        if starts[s] < position or stops[s] < starts[s] or stops[s] > size:
            raise ValueError(
                "penalty segments must be sorted, disjoint and inside params"
            )
        position = stops[s]
    n_groups = group_starts.shape[0]
    if group_shapes.shape[0] != n_groups or group_strengths.shape[0] != n_groups:
        raise ValueError("group_starts, group_shapes and group_strengths must match")
    if group_shapes.shape[1] != 2:
        raise ValueError("group_shapes must hold (fan_in, fan_out) pairs")
    position = 0
    for g in range(n_groups):
        rows, columns = group_shapes[g, 0], group_shapes[g, 1]
        start = group_starts[g]
        if start < position or rows < 0 or columns < 0:
            raise ValueError("group blocks must be sorted, disjoint and inside params")
        position = start + rows * columns
        if position > size:
            raise ValueError("group blocks must be sorted, disjoint and inside params")


@functools.partial(_kernel, inline="always")
def _sgd_slice(
    params,
    gradient,
    velocity,
    learning_rate,
    momentum,
    nesterov,
    l1,
    two_l2,
    add_l1,
    add_l2,
    threshold,
    soft_threshold,
    group_scale,
    add_group,
):
    """One sgd step on a slice of the buffers, with its penalty terms.

    The strengths, thresholds and the group gradient's factor (:math:`\\lambda
    / \\|w\\|_2` of the slice's row) are already of params' dtype. Returns the
    slice's :math:`\\sum |\\theta|` and :math:`\\sum \\theta^2` before the
    step, in params' dtype.
    """
    dtype = params.dtype.type
    zero = dtype(0)
    abs_sum = zero
    square_sum = zero
    # Slices passed in, indices from 0: LLVM sees that no index is negative
    # (numba's negative-index wraparound would keep the loop scalar).
    for j in range(params.shape[0]):
        w = params[j]
        g = dtype(gradient[j])
        abs_sum = _reorderable_add(abs_sum, abs(w))
        square_sum = _reorderable_add(square_sum, w * w)
        # The terms in the reference's order: L1, L2, group.
        if add_l1:
            # sign_+: +1 at zero, -0.0 included (-0.0 >= 0).
            g = g + (l1 if w >= zero else -l1)
        if add_l2:
            g = g + w * two_l2
        if add_group:
            g = g + w * group_scale
        scaled = g * learning_rate
        v = velocity[j] * momentum - scaled
        velocity[j] = v
        # Nesterov's step, in the reference's order: (theta - eta g) + mu v.
        w = (w - scaled) + v * momentum if nesterov else w + v
        if soft_threshold:
            shrunk = abs(w) - threshold
            # np.maximum(shrunk, 0): False for NaN, which passes through.
            if shrunk < zero:
                shrunk = zero
            # + 0 turns the -0.0 that copysign may give into +0.0.
            w = np.copysign(shrunk, w) + zero
        params[j] = w
    return abs_sum, square_sum


@functools.partial(_kernel, inline="always")
def _sgd_range(
    params,
    gradient,
    velocity,
    lo,
    hi,
    s,
    starts,
    stops,
    l1,
    l2,
    learning_rate,
    momentum,
    nesterov,
    proximal,
    prox_step,
    group_scale,
    add_group,
):
    """The sgd step on ``params[lo:hi]``, segment by segment from segment ``s``.

    The coordinates inside a segment take its L1 and L2 terms, the others
    none; all take the group gradient's factor ``group_scale`` when
    ``add_group``. Returns the first segment not finished (a range may end
    inside one) and the L1 and L2 terms' value before the step.
    """
    dtype = params.dtype.type
    n_segments = starts.shape[0]
    penalty = 0.0
    position = lo
    while position < hi:
        inside = s < n_segments and starts[s] <= position
        if inside:
            end = min(stops[s], hi)
            strength_1, strength_2 = l1[s], l2[s]
        else:
            # The unpenalized coordinates before segment s (after the last).
            end = min(starts[s], hi) if s < n_segments else hi
            strength_1 = strength_2 = 0.0
        has_l1, has_l2 = strength_1 != 0, strength_2 != 0
        # One call for both cases, inlined: one copy of the slice's loop.
        abs_sum, square_sum = _sgd_slice(
            params[position:end], gradient[position:end], velocity[position:end],
            learning_rate, momentum, nesterov,
            dtype(strength_1), dtype(2.0 * strength_2),
            has_l1 and not proximal, has_l2,
            # As the reference: tau * lambda_1 in float64, then the dtype.
            dtype(prox_step * strength_1), has_l1 and proximal,
            group_scale, add_group,
        )  # fmt: skip
        if has_l1:
            penalty += strength_1 * float(abs_sum)
        if has_l2:
            penalty += strength_2 * float(square_sum)
        if inside and end == stops[s]:
            s += 1
        position = end
    return s, penalty


@_kernel
def sgd_step(
    params,
    gradient,
    velocity,
    learning_rate,
    momentum,
    nesterov,
    starts,
    stops,
    l1,
    l2,
    group_starts,
    group_shapes,
    group_strengths,
    proximal,
    prox_step,
):
    r"""Penalty gradient, sgd step with momentum and proximal step, fused.

    For each coordinate :math:`\theta` with data gradient :math:`g`, in a
    segment with strengths :math:`\lambda_1, \lambda_2` (both zero outside
    the segments) and in a row :math:`w` of a group block with strength
    :math:`\lambda_G` (zero outside the blocks):

    .. math::

        g &\leftarrow g + \lambda_1 \operatorname{sign}_+(\theta)
              + 2 \lambda_2 \theta + \lambda_G \theta / \|w\|_2
              \quad (\text{no } \lambda_1, \lambda_G \text{ terms when
              proximal; no } \lambda_G \text{ term when } w = 0),

        v &\leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{or (Nesterov)}\quad
        \theta \leftarrow \theta - \eta g + \mu v,

        \theta &\leftarrow \operatorname{sign}(\theta)
              \max(|\theta| - \tau \lambda_1, 0)
              \quad (\text{proximal, where } \lambda_1 > 0),

        w &\leftarrow w \max(0, 1 - \tau \lambda_G / \|w\|_2)
              \quad (\text{proximal, each row of a group block, after its
              soft thresholding}),

    with :math:`\tau` = ``prox_step``. This is
    ``NetworkPenalty.add_gradient``, ``SGDOptimizer.update`` and
    ``NetworkPenalty.prox`` in one pass, operation for operation; the
    group blocks are taken a row at a time (its norm before the step, its
    update, its block thresholding), in cache.

    Parameters
    ----------
    params : ndarray of shape (n_parameters,)
        The flat parameter buffer; updated in place.
    gradient : ndarray of shape (n_parameters,)
        The data loss's gradient; read only (the penalty terms are added on
        the fly, not stored).
    velocity : ndarray of shape (n_parameters,)
        Updated in place.
    learning_rate : float
        :math:`\eta`, the optimizer's current learning rate.
    momentum : float
        :math:`\mu`.
    nesterov : bool
    starts, stops : ndarray of shape (n_segments,), int64
        The L1- and L2-penalized slices ``params[start:stop]``, sorted and
        disjoint (:func:`segment_arrays`).
    l1, l2 : ndarray of shape (n_segments,), float64
        The strengths of each slice.
    group_starts : ndarray of shape (n_groups,), int64
        Where each group block starts, sorted; the blocks are disjoint.
    group_shapes : ndarray of shape (n_groups, 2), int64
        Each block's ``(fan_in, fan_out)``: its rows are the groups.
    group_strengths : ndarray of shape (n_groups,), float64
        :math:`\lambda_G` of each block.
    proximal : bool
        Leave the L1 and group terms out of the gradient and apply their
        proximal steps instead.
    prox_step : float
        :math:`\tau`, ``SGDOptimizer.step_size()``; unused unless
        ``proximal``.

    Returns
    -------
    penalty : float
        :math:`\Omega(\theta)` at the parameters before the step, L1 and
        group terms included.
    """
    size = params.shape[0]
    _check_step_arguments(
        size, (gradient.shape[0], velocity.shape[0]), starts, stops, l1, l2,
        group_starts, group_shapes, group_strengths,
    )  # fmt: skip
    dtype = params.dtype.type
    lr, mu = dtype(learning_rate), dtype(momentum)
    zero = dtype(0)
    n_groups = group_starts.shape[0]
    penalty = 0.0
    s = 0
    position = 0
    for b in range(n_groups + 1):
        block, rows, columns, strength_g = _group_block(
            b, size, group_starts, group_shapes, group_strengths
        )
        strength = dtype(strength_g)
        # As the reference: tau * lambda_G in float64, then the dtype.
        threshold = dtype(prox_step * strength_g)
        norms = zero
        # Row -1 is the coordinates before block b (after the last block), in
        # no block; then the block's rows, each stepped whole before its
        # proximal step. One call of the range, which is inlined: one copy.
        for i in range(-1, rows):
            in_block = i >= 0
            lo, hi, norm, scale = _block_row(
                params, i, block, columns, position, strength
            )
            norms += norm
            s, value = _sgd_range(
                params, gradient, velocity, lo, hi, s, starts, stops, l1, l2,
                lr, mu, nesterov, proximal, prox_step,
                scale, in_block and not proximal,
            )  # fmt: skip
            penalty += value
            if in_block and proximal:
                _shrink_row(params[lo:hi], threshold)
        penalty += strength_g * float(norms)
        position = block + rows * columns
    return penalty


@functools.partial(_kernel, inline="always")
def _group_block(b, size, group_starts, group_shapes, group_strengths):
    """Group block ``b``'s start, rows, columns and lambda; past the last
    block (``b == n_groups``), the buffer's end and no rows."""
    if b == group_starts.shape[0]:
        return size, 0, 0, 0.0
    return group_starts[b], group_shapes[b, 0], group_shapes[b, 1], group_strengths[b]


@functools.partial(_kernel, inline="always")
def _block_row(params, i, block, columns, position, strength):
    """Bounds of row ``i`` of a block, its norm and the group gradient's factor.

    Row -1 is the coordinates from ``position`` to the block's start, in no
    block: norm and factor 0. The factor is :math:`\\lambda / \\|w\\|_2`,
    0 for a zero row (``np.divide(strength, norms, out=zeros, where=norms >
    0)``), in params' dtype.
    """
    zero = params.dtype.type(0)
    if i < 0:
        return position, block, zero, zero
    lo = block + i * columns
    hi = lo + columns
    norm = _row_norm(params[lo:hi])
    scale = strength / norm if norm > zero else zero
    return lo, hi, norm, scale


@functools.partial(_kernel, inline="always")
def _adam_slice(
    params,
    gradient,
    first_moment,
    second_moment,
    learning_rate,
    beta_1,
    one_minus_beta_1,
    beta_2,
    one_minus_beta_2,
    epsilon,
    proximal_rate,
    l1,
    two_l2,
    add_l1,
    add_l2,
    soft_threshold,
    group_scale,
    add_group,
):
    """One adam step on a slice of the buffers, with its penalty terms.

    The constants and the group gradient's factor (:math:`\\lambda /
    \\|w\\|_2` of the slice's row) are already of params' dtype. Returns the
    slice's :math:`\\sum |\\theta|` and :math:`\\sum \\theta^2` before the
    step, in params' dtype.
    """
    dtype = params.dtype.type
    zero = dtype(0)
    abs_sum = zero
    square_sum = zero
    # Slices passed in, indices from 0: LLVM sees that no index is negative
    # (numba's negative-index wraparound would keep the loop scalar).
    for j in range(params.shape[0]):
        w = params[j]
        g = dtype(gradient[j])
        abs_sum = _reorderable_add(abs_sum, abs(w))
        square_sum = _reorderable_add(square_sum, w * w)
        # The terms in the reference's order: L1, L2, group.
        if add_l1:
            # sign_+: +1 at zero, -0.0 included (-0.0 >= 0).
            g = g + (l1 if w >= zero else -l1)
        if add_l2:
            g = g + w * two_l2
        if add_group:
            g = g + w * group_scale
        m = first_moment[j] * beta_1 + g * one_minus_beta_1
        v = second_moment[j] * beta_2 + (g * g) * one_minus_beta_2
        first_moment[j] = m
        second_moment[j] = v
        denominator = np.sqrt(v) + epsilon
        w = w - (m / denominator) * learning_rate
        if soft_threshold:
            # The threshold is adam's step size in its metric,
            # eta sqrt(1 - beta_2^t) / (sqrt(v) + eps), times lambda_1.
            shrunk = abs(w) - (proximal_rate / denominator) * l1
            # np.maximum(shrunk, 0): False for NaN, which passes through.
            if shrunk < zero:
                shrunk = zero
            # + 0 turns the -0.0 that copysign may give into +0.0.
            w = np.copysign(shrunk, w) + zero
        params[j] = w
    return abs_sum, square_sum


@functools.partial(_kernel, inline="always")
def _adam_range(
    params,
    gradient,
    first_moment,
    second_moment,
    lo,
    hi,
    s,
    starts,
    stops,
    l1,
    l2,
    constants,
    proximal,
    group_scale,
    add_group,
):
    """The adam step on ``params[lo:hi]``, segment by segment from segment ``s``.

    ``constants`` are :math:`\\eta_t, \\beta_1, 1 - \\beta_1, \\beta_2, 1 -
    \\beta_2, \\epsilon, \\eta \\sqrt{1 - \\beta_2^t}` in params'
    dtype. As :func:`_sgd_range`: returns
    the first segment not finished and the L1 and L2 terms' value before
    the step.
    """
    dtype = params.dtype.type
    lr, b1, c1, b2, c2, eps, proximal_lr = constants
    n_segments = starts.shape[0]
    penalty = 0.0
    position = lo
    while position < hi:
        inside = s < n_segments and starts[s] <= position
        if inside:
            end = min(stops[s], hi)
            strength_1, strength_2 = l1[s], l2[s]
        else:
            # The unpenalized coordinates before segment s (after the last).
            end = min(starts[s], hi) if s < n_segments else hi
            strength_1 = strength_2 = 0.0
        has_l1, has_l2 = strength_1 != 0, strength_2 != 0
        # One call for both cases, inlined: one copy of the slice's loop.
        abs_sum, square_sum = _adam_slice(
            params[position:end], gradient[position:end],
            first_moment[position:end], second_moment[position:end],
            lr, b1, c1, b2, c2, eps, proximal_lr,
            dtype(strength_1), dtype(2.0 * strength_2),
            has_l1 and not proximal, has_l2, has_l1 and proximal,
            group_scale, add_group,
        )  # fmt: skip
        if has_l1:
            penalty += strength_1 * float(abs_sum)
        if has_l2:
            penalty += strength_2 * float(square_sum)
        if inside and end == stops[s]:
            s += 1
        position = end
    return s, penalty


@_kernel
def adam_step(
    params,
    gradient,
    first_moment,
    second_moment,
    learning_rate,
    beta_1,
    beta_2,
    epsilon,
    proximal_rate,
    starts,
    stops,
    l1,
    l2,
    group_starts,
    group_shapes,
    group_strengths,
    proximal,
):
    r"""Penalty gradient, adam step and proximal step, fused.

    For each coordinate :math:`\theta` with data gradient :math:`g`, in a
    segment with strengths :math:`\lambda_1, \lambda_2` (both zero outside
    the segments) and in a row :math:`w` of a group block with strength
    :math:`\lambda_G` (zero outside the blocks):

    .. math::

        g &\leftarrow g + \lambda_1 \operatorname{sign}_+(\theta)
              + 2 \lambda_2 \theta + \lambda_G \theta / \|w\|_2
              \quad (\text{no } \lambda_1, \lambda_G \text{ terms when
              proximal; no } \lambda_G \text{ term when } w = 0),

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \theta &\leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon},

        \theta &\leftarrow \operatorname{sign}(\theta)
              \max\Big(|\theta| - \frac{\eta \sqrt{1 - \beta_2^t}}
              {\sqrt{v} + \epsilon} \lambda_1, 0\Big)
              \quad (\text{proximal, where } \lambda_1 > 0),

    and with ``proximal``, after its soft thresholding, each row of a group
    block takes the group term's proximal step in adam's metric, with the
    thresholds :math:`t_j = \lambda_G \eta \sqrt{1 - \beta_2^t} / (\sqrt{v_j}
    + \epsilon)`
    (:func:`group_lasso_adam_prox`).

    This is ``NetworkPenalty.add_gradient``, ``AdamOptimizer.update`` and
    ``NetworkPenalty.prox`` with ``AdamOptimizer.step_size()`` in one
    pass, operation for operation; the group blocks are taken a row at a
    time (its norm before the step, its update, its proximal step), in
    cache.

    Parameters
    ----------
    params : ndarray of shape (n_parameters,)
        The flat parameter buffer; updated in place.
    gradient : ndarray of shape (n_parameters,)
        The data loss's gradient; read only (the penalty terms are added on
        the fly, not stored).
    first_moment, second_moment : ndarray of shape (n_parameters,)
        :math:`m` and :math:`v`; updated in place.
    learning_rate : float
        :math:`\eta_t = \eta_0 \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)`, the
        bias-corrected learning rate of this step (the caller increments
        :math:`t`).
    beta_1, beta_2, epsilon : float
    proximal_rate : float
        :math:`\eta \sqrt{1 - \beta_2^t}`, the rate of the proximal steps'
        thresholds (``AdamOptimizer.proximal_rate``).
    starts, stops : ndarray of shape (n_segments,), int64
        The L1- and L2-penalized slices ``params[start:stop]``, sorted and
        disjoint (:func:`segment_arrays`).
    l1, l2 : ndarray of shape (n_segments,), float64
        The strengths of each slice.
    group_starts : ndarray of shape (n_groups,), int64
        Where each group block starts, sorted; the blocks are disjoint.
    group_shapes : ndarray of shape (n_groups, 2), int64
        Each block's ``(fan_in, fan_out)``: its rows are the groups.
    group_strengths : ndarray of shape (n_groups,), float64
        :math:`\lambda_G` of each block.
    proximal : bool
        Leave the L1 and group terms out of the gradient and apply their
        proximal steps instead.

    Returns
    -------
    penalty : float
        :math:`\Omega(\theta)` at the parameters before the step, L1 and
        group terms included.
    """
    size = params.shape[0]
    _check_step_arguments(
        size,
        (gradient.shape[0], first_moment.shape[0], second_moment.shape[0]),
        starts, stops, l1, l2, group_starts, group_shapes, group_strengths,
    )  # fmt: skip
    dtype = params.dtype.type
    # As the reference: 1 - beta in float64, then the dtype.
    constants = (
        dtype(learning_rate), dtype(beta_1), dtype(1.0 - beta_1),
        dtype(beta_2), dtype(1.0 - beta_2), dtype(epsilon), dtype(proximal_rate),
    )  # fmt: skip
    zero = dtype(0)
    n_groups = group_starts.shape[0]
    # The thresholds of the longest row, for the proximal step.
    longest = 0
    for b in range(n_groups):
        longest = max(longest, group_shapes[b, 1])
    scratch = np.empty(longest if proximal else 0)
    penalty = 0.0
    s = 0
    position = 0
    for b in range(n_groups + 1):
        block, rows, columns, strength_g = _group_block(
            b, size, group_starts, group_shapes, group_strengths
        )
        strength = dtype(strength_g)
        norms = zero
        # Row -1 is the coordinates before block b (after the last block), in
        # no block; then the block's rows, each stepped whole before its
        # proximal step. One call of the range, which is inlined: one copy.
        for i in range(-1, rows):
            in_block = i >= 0
            lo, hi, norm, scale = _block_row(
                params, i, block, columns, position, strength
            )
            norms += norm
            s, value = _adam_range(
                params, gradient, first_moment, second_moment, lo, hi, s,
                starts, stops, l1, l2, constants, proximal,
                scale, in_block and not proximal,
            )  # fmt: skip
            penalty += value
            if in_block and proximal:
                _metric_prox_row(
                    params[lo:hi], second_moment[lo:hi], constants[6],
                    constants[5], strength, scratch,
                )  # fmt: skip
        penalty += strength_g * float(norms)
        position = block + rows * columns
    return penalty


# ---------------------------------------------------------------------------
# Output layer: the loss and its gradient with respect to the logits.


@_kernel
def _flush_subnormal(x, tiny):
    """``x``, or +0 if its magnitude is below ``tiny`` (NaN passes).

    See :func:`skreg._functions.flush_subnormal`.
    """
    if abs(x) < tiny:
        # +0.0 in x's dtype (x is finite here).
        return x - x
    return x


@_kernel
def squared_error_gradient(Z, Y, sample_weight):
    r"""Half the squared error averaged over outputs; ``Z`` becomes its gradient.

    .. math::

        \text{loss} = \sum_i w_i \frac{1}{2K} \sum_k (z_{ik} - y_{ik})^2,
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = \frac{w_i (z_{ik} - y_{ik})}{K}.

    Reference: :func:`skreg._functions.squared_error`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Output pre-activations; overwritten with the loss gradient.
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    if Y.shape != Z.shape or sample_weight.shape[0] != Z.shape[0]:
        raise ValueError("Z, Y and sample_weight must have matching shapes")
    dtype = Z.dtype.type
    n_outputs = dtype(Z.shape[1])
    tiny = dtype(np.finfo(Z.dtype).tiny)
    loss = dtype(0)
    for i in range(Z.shape[0]):
        weight = dtype(sample_weight[i])
        for k in range(Z.shape[1]):
            residual = Z[i, k] - dtype(Y[i, k])
            loss = _reorderable_add(loss, (residual * residual) * weight)
            Z[i, k] = _flush_subnormal((residual * weight) / n_outputs, tiny)
    return float(loss / (dtype(2) * n_outputs))


@_kernel
def log_loss_gradient(Z, Y, sample_weight):
    r"""Multiclass log-loss of a softmax output; ``Z`` becomes its gradient.

    Row by row, in one pass over the logits (the reference makes about ten):

    .. math::

        \text{loss} = \sum_i w_i \Big(\log \sum_k e^{z_{ik} - c_i}
                      - \sum_k y_{ik} (z_{ik} - c_i)\Big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (p_{ik} - y_{ik}),

    with :math:`c_i = \max_k z_{ik}` (so that no exponential overflows) and
    :math:`p_i = \operatorname{softmax}(z_i)`, for one-hot rows
    :math:`y_i`. Reference: :func:`skreg._functions.log_loss`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
        Logits; overwritten with the loss gradient.
    Y : ndarray of shape (n_samples, n_classes)
        One-hot targets.
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    if Y.shape != Z.shape or sample_weight.shape[0] != Z.shape[0]:
        raise ValueError("Z, Y and sample_weight must have matching shapes")
    dtype = Z.dtype.type
    tiny = dtype(np.finfo(Z.dtype).tiny)
    loss = dtype(0)
    for i in range(Z.shape[0]):
        # A NaN logit is skipped here, and makes the whole row NaN below.
        row_max = Z[i, 0]
        for k in range(1, Z.shape[1]):
            if Z[i, k] > row_max:
                row_max = Z[i, k]
        target_logit = dtype(0)
        normalizer = dtype(0)
        for k in range(Z.shape[1]):
            shifted = Z[i, k] - row_max
            target_logit += dtype(Y[i, k]) * shifted
            exponential = np.exp(shifted)
            normalizer += exponential
            Z[i, k] = exponential
        weight = dtype(sample_weight[i])
        loss += weight * (np.log(normalizer) - target_logit)
        for k in range(Z.shape[1]):
            probability = Z[i, k] / normalizer
            Z[i, k] = _flush_subnormal((probability - dtype(Y[i, k])) * weight, tiny)
    return float(loss)


@_kernel
def _log_one_plus_exp(z, log_two):
    r""":math:`\log(1 + e^z)` without overflow, as ``np.logaddexp(0, z)``."""
    if z == 0:
        return z + log_two
    if z < 0:
        return np.log1p(np.exp(z))
    if z > 0:
        return z + np.log1p(np.exp(-z))
    # NaN
    return z


@_kernel
def binary_log_loss_gradient(Z, Y, sample_weight):
    r"""Log-loss of independent logistic outputs; ``Z`` becomes its gradient.

    .. math::

        \text{loss} = \sum_i w_i \sum_k \big(\log(1 + e^{z_{ik}})
                       - y_{ik} z_{ik}\big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (\sigma(z_{ik}) - y_{ik}).

    Reference: :func:`skreg._functions.binary_log_loss`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Logits; overwritten with the loss gradient.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in {0, 1}.
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    if Y.shape != Z.shape or sample_weight.shape[0] != Z.shape[0]:
        raise ValueError("Z, Y and sample_weight must have matching shapes")
    dtype = Z.dtype.type
    one = dtype(1)
    log_two = dtype(np.log(2.0))
    tiny = dtype(np.finfo(Z.dtype).tiny)
    loss = dtype(0)
    for i in range(Z.shape[0]):
        weight = dtype(sample_weight[i])
        for k in range(Z.shape[1]):
            z, y = Z[i, k], dtype(Y[i, k])
            loss += weight * (_log_one_plus_exp(z, log_two) - y * z)
            probability = one / (one + np.exp(-z))
            Z[i, k] = _flush_subnormal((probability - y) * weight, tiny)
    return float(loss)


@_kernel
def poisson_gradient(Z, Y, sample_weight):
    r"""Half the Poisson deviance of an exp output; ``Z`` becomes its gradient.

    .. math::

        \text{loss} = \sum_i w_i \sum_k \big(y_{ik} \log y_{ik} - y_{ik}
                      - y_{ik} z_{ik} + e^{z_{ik}}\big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (e^{z_{ik}} - y_{ik}),

    with :math:`0 \log 0 = 0`. Reference: :func:`skreg._functions.poisson`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Output pre-activations :math:`\log \hat{y}`; overwritten with the
        loss gradient.
    Y : ndarray of shape (n_samples, n_outputs)
        Non-negative targets.
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    if Y.shape != Z.shape or sample_weight.shape[0] != Z.shape[0]:
        raise ValueError("Z, Y and sample_weight must have matching shapes")
    dtype = Z.dtype.type
    tiny = dtype(np.finfo(Z.dtype).tiny)
    loss = dtype(0)
    for i in range(Z.shape[0]):
        weight = dtype(sample_weight[i])
        for k in range(Z.shape[1]):
            y = dtype(Y[i, k])
            y_log_y = y * np.log(y) if y > 0 else dtype(0)
            prediction = np.exp(Z[i, k])
            unit = ((y_log_y - y) - y * Z[i, k]) + prediction
            loss = _reorderable_add(loss, weight * unit)
            Z[i, k] = _flush_subnormal((prediction - y) * weight, tiny)
    return float(loss)


LOSS_GRADIENTS = {
    "squared_error": squared_error_gradient,
    "log_loss": log_loss_gradient,
    "binary_log_loss": binary_log_loss_gradient,
    "poisson": poisson_gradient,
}


def fused_sgd_step(optimizer, params, gradient, segments, proximal):
    """:func:`sgd_step` for an :class:`~skreg._optimizers.SGDOptimizer`.

    Parameters
    ----------
    optimizer : SGDOptimizer
        Its velocity is updated in place.
    params, gradient : ndarray of shape (n_parameters,)
    segments : tuple
        :func:`segment_arrays` of the penalty.
    proximal : bool

    Returns
    -------
    penalty : float
        At the parameters before the step.
    """
    # Python floats and bools: NumPy scalars would compile other versions.
    return sgd_step(
        params,
        gradient,
        optimizer.velocity,
        float(optimizer.learning_rate),
        float(optimizer.momentum),
        bool(optimizer.nesterov),
        *segments,
        bool(proximal),
        float(optimizer.step_size()),
    )


def fused_adam_step(optimizer, params, gradient, segments, proximal):
    """:func:`adam_step` for an :class:`~skreg._optimizers.AdamOptimizer`.

    The optimizer advances its step count and bias-corrected rate first
    (:meth:`~skreg._optimizers.AdamOptimizer.advance`), as its own update
    does.

    Parameters
    ----------
    optimizer : AdamOptimizer
        Its moments are updated in place.
    params, gradient : ndarray of shape (n_parameters,)
    segments : tuple
        :func:`segment_arrays` of the penalty.
    proximal : bool

    Returns
    -------
    penalty : float
        At the parameters before the step.
    """
    optimizer.advance()
    return adam_step(
        params,
        gradient,
        optimizer.first_moment,
        optimizer.second_moment,
        float(optimizer.learning_rate),
        float(optimizer.beta_1),
        float(optimizer.beta_2),
        float(optimizer.epsilon),
        float(optimizer.proximal_rate),
        *segments,
        bool(proximal),
    )


#: The fused step of each optimizer class that has one.
FUSED_STEPS = {
    SGDOptimizer: fused_sgd_step,
    AdamOptimizer: fused_adam_step,
}

#: The penalty terms the fused steps compute (:func:`segment_arrays`).
FUSED_TERMS = frozenset({L1, L2, GroupLasso})
