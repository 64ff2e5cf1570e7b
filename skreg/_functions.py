r"""Activations, their derivatives, and the output losses, as name -> function tables.

Every function works in place on preallocated arrays, so that a training step
allocates nothing of the size of a batch.

* ``ACTIVATIONS[name](Z)`` overwrites the pre-activations ``Z`` with
  :math:`f(Z)`.
* ``DERIVATIVES[name](A, delta)`` multiplies ``delta`` by :math:`f'(Z)`,
  written in terms of the activation output :math:`A = f(Z)` (which is what
  the forward pass keeps). It overwrites ``A``, which the backward pass no
  longer needs, so that no scratch buffer is required.
* ``LOSSES[name](Z, Y, sample_weight)`` takes the output layer's
  *pre-activations* (logits) ``Z``, returns the weighted mean loss and
  overwrites ``Z`` with :math:`\partial \text{loss} / \partial Z`. Each loss
  is fused with its canonical output function (identity, logistic, softmax),
  so that the gradient reduces to the residual
  :math:`s_i (\hat{y}_i - y_i) / \sum_j s_j` and the log-losses are computed
  from the logits without overflow.
* ``LOSS_CURVATURES[name](outputs, dZ)`` multiplies each sample's direction
  ``dZ`` by the loss's second derivative in the logits,
  :math:`\partial^2 \ell_i / \partial z_i^2` (without the sample weight),
  written in terms of the outputs :math:`\hat{y} = f(Z)`: the Newton steps
  of :mod:`skreg._polish` need it.
"""

import numpy as np
from scipy.special import expit, logsumexp, xlogy


def identity(Z):
    """:math:`f(z) = z`; leaves ``Z`` unchanged."""


def logistic(Z):
    """:math:`f(z) = 1 / (1 + e^{-z})`, in place."""
    expit(Z, out=Z)


def tanh(Z):
    r""":math:`f(z) = \tanh z`, in place."""
    np.tanh(Z, out=Z)


def relu(Z):
    r""":math:`f(z) = \max(z, 0)`, in place."""
    np.maximum(Z, 0, out=Z)


def exp(Z):
    """:math:`f(z) = e^z`, in place: the output function of the Poisson loss."""
    np.exp(Z, out=Z)


def row_max(Z):
    """The maximum of each row of ``Z``, shape (n_samples,).

    Indexing the row-wise argmax is several times faster than
    ``Z.max(axis=1)`` on the short rows of an output layer.
    """
    return Z[np.arange(Z.shape[0]), Z.argmax(axis=1)]


def softmax(Z):
    r""":math:`f(z)_k = e^{z_k} / \sum_j e^{z_j}` over each row, in place."""
    Z -= row_max(Z)[:, np.newaxis]
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
    "exp": exp,
}


def identity_derivative(A, delta):
    """:math:`f'(z) = 1`; leaves ``delta`` unchanged."""


def logistic_derivative(A, delta):
    """:math:`f'(z) = a (1 - a)`; ``delta *= A * (1 - A)``, overwriting ``A``."""
    delta *= A
    np.subtract(1, A, out=A)
    delta *= A


def tanh_derivative(A, delta):
    """:math:`f'(z) = 1 - a^2`; ``delta *= 1 - A ** 2``, overwriting ``A``."""
    np.square(A, out=A)
    np.subtract(1, A, out=A)
    delta *= A


def relu_derivative(A, delta):
    """:math:`f'(z) = [z > 0]`; ``delta *= A > 0``, overwriting ``A``."""
    # The comparison writes 1.0 / 0.0 into A itself: no mask to allocate.
    np.greater(A, 0, out=A)
    delta *= A


DERIVATIVES = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}


def squared_error(Z, Y, sample_weight):
    r"""Half the squared error averaged over outputs, weighted mean over samples.

    .. math::

        \text{loss} = \sum_i w_i \frac{1}{2K} \sum_k (z_{ik} - y_{ik})^2,
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = \frac{w_i}{K} (z_{ik} - y_{ik}),

    with :math:`w_i = s_i / \sum_j s_j` and :math:`K` outputs (identity
    output function).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Output pre-activations; overwritten with the loss gradient.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    n_outputs = Z.shape[1]
    Z -= Y
    loss = np.einsum("ik,ik,i->", Z, Z, sample_weight) / (2 * n_outputs)
    Z *= sample_weight[:, np.newaxis]
    Z /= n_outputs
    flush_subnormal(Z)
    return float(loss)


def log_loss(Z, Y, sample_weight):
    r"""Multiclass log-loss of a softmax output, weighted mean over samples.

    .. math::

        \text{loss} = \sum_i w_i \Big(\log \sum_k e^{z_{ik}}
                       - \sum_k y_{ik} z_{ik}\Big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (p_{ik} - y_{ik}),

    for one-hot rows :math:`y_i`, with :math:`p_i = \operatorname{softmax}(z_i)`.

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
    Z -= row_max(Z)[:, np.newaxis]
    target_logit = np.einsum("ik,ik->i", Y, Z)
    np.exp(Z, out=Z)
    # A matrix-vector product sums the short rows faster than Z.sum(axis=1).
    normalizer = Z @ np.ones(Z.shape[1], dtype=Z.dtype)
    Z /= normalizer[:, np.newaxis]
    loss = np.dot(sample_weight, np.log(normalizer) - target_logit)
    Z -= Y
    Z *= sample_weight[:, np.newaxis]
    flush_subnormal(Z)
    return float(loss)


def binary_log_loss(Z, Y, sample_weight):
    r"""Log-loss of independent logistic outputs, summed over outputs.

    Used for binary targets (one output) and multilabel indicator targets.

    .. math::

        \text{loss} = \sum_i w_i \sum_k \big(\log(1 + e^{z_{ik}})
                       - y_{ik} z_{ik}\big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (\sigma(z_{ik}) - y_{ik}).

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
    per_unit = np.logaddexp(0, Z)
    per_unit -= Y * Z
    loss = np.dot(sample_weight, per_unit).sum()
    expit(Z, out=Z)
    Z -= Y
    Z *= sample_weight[:, np.newaxis]
    flush_subnormal(Z)
    return float(loss)


def poisson(Z, Y, sample_weight):
    r"""Half the Poisson deviance of an exponential output, summed over outputs.

    With predictions :math:`\hat{y}_{ik} = e^{z_{ik}}`,

    .. math::

        \text{loss} = \sum_i w_i \sum_k \Big(y_{ik} \log \frac{y_{ik}}
                       {\hat{y}_{ik}} - y_{ik} + \hat{y}_{ik}\Big)
                     = \sum_i w_i \sum_k \big(y_{ik} \log y_{ik} - y_{ik}
                       - y_{ik} z_{ik} + e^{z_{ik}}\big),
        \qquad
        \frac{\partial\,\text{loss}}{\partial z_{ik}}
        = w_i (\hat{y}_{ik} - y_{ik}),

    with :math:`0 \log 0 = 0`: scikit-learn's ``MLPRegressor(loss='poisson')``
    data loss, constant term included, so that both report the same loss.
    The log-link is canonical for the Poisson deviance, hence the residual.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Output pre-activations :math:`\log \hat{y}`; overwritten with the
        loss gradient.
    Y : ndarray of shape (n_samples, n_outputs)
        Non-negative targets (counts, rates).
    sample_weight : ndarray of shape (n_samples,)
        Normalized sample weights :math:`w_i`, summing to one.

    Returns
    -------
    loss : float
    """
    per_unit = xlogy(Y, Y)
    per_unit -= Y
    per_unit -= Y * Z
    np.exp(Z, out=Z)
    per_unit += Z
    loss = np.dot(sample_weight, per_unit).sum()
    Z -= Y
    Z *= sample_weight[:, np.newaxis]
    flush_subnormal(Z)
    return float(loss)


def squared_error_curvature(outputs, dZ):
    r"""Second derivative of half the squared error averaged over outputs.

    .. math::

        \frac{\partial^2 \ell_i}{\partial z_i^2} = \frac{1}{K} I_K .

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_outputs)
        The predictions (unused: the curvature is constant).
    dZ : ndarray of shape (n_samples, n_outputs)
        A direction in the logits.

    Returns
    -------
    product : ndarray of shape (n_samples, n_outputs)
        A new array.
    """
    return dZ / dZ.shape[1]


def log_loss_curvature(outputs, dZ):
    r"""Second derivative of the softmax log-loss.

    .. math::

        \frac{\partial^2 \ell_i}{\partial z_i^2} = \operatorname{diag}(p_i)
        - p_i p_i^\top, \qquad
        (\operatorname{diag}(p_i) - p_i p_i^\top)\, d_i
        = p_i \odot (d_i - (p_i \cdot d_i) \mathbf{1}).

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_classes)
        The probabilities :math:`p_i`.
    dZ : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    product : ndarray of shape (n_samples, n_classes)
    """
    centred = dZ - np.einsum("ik,ik->i", outputs, dZ)[:, np.newaxis]
    centred *= outputs
    return centred


def binary_log_loss_curvature(outputs, dZ):
    r"""Second derivative of the logistic log-loss: :math:`\sigma (1 - \sigma)`.

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_outputs)
        The probabilities :math:`\sigma(z_{ik})`.
    dZ : ndarray of shape (n_samples, n_outputs)

    Returns
    -------
    product : ndarray of shape (n_samples, n_outputs)
    """
    return outputs * (1 - outputs) * dZ


def poisson_curvature(outputs, dZ):
    r"""Second derivative of half the Poisson deviance: :math:`e^{z_{ik}}`.

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_outputs)
        The predictions :math:`\hat{y}_{ik} = e^{z_{ik}}`.
    dZ : ndarray of shape (n_samples, n_outputs)

    Returns
    -------
    product : ndarray of shape (n_samples, n_outputs)
    """
    return outputs * dZ


def flush_subnormal(Z):
    """Set the entries of ``Z`` below the smallest normal number to zero.

    Subnormal numbers (below about 1.2e-38 in float32, 2.2e-308 in float64)
    make every later floating-point operation on them tens of times slower.
    Output deltas meet them as soon as a softmax or logistic unit is
    confident; entries that small are far below the precision of the others,
    so zero is what they round to anyway.

    Parameters
    ----------
    Z : ndarray
        Updated in place. The mask it builds is of Z's size, so it is meant
        for small arrays (the output layer) or occasional calls (the
        optimizer state, once per epoch).
    """
    Z[np.abs(Z) < np.finfo(Z.dtype).tiny] = 0


LOSSES = {
    "squared_error": squared_error,
    "log_loss": log_loss,
    "binary_log_loss": binary_log_loss,
    "poisson": poisson,
}


def _clipped_mean(mean_Y):
    eps = np.finfo(mean_Y.dtype).eps
    return np.clip(mean_Y, eps, 1 - eps)


def constant_squared_error_logits(mean_Y):
    r"""Logits of the best constant model for the squared error: :math:`\bar y`."""
    return mean_Y.copy()


def constant_log_loss_logits(mean_Y):
    r""":math:`\log \bar p`: the softmax of it is the classes' (weighted) frequency."""
    return np.log(_clipped_mean(mean_Y))


def constant_binary_log_loss_logits(mean_Y):
    r""":math:`\operatorname{logit}(\bar p)` per output: each output's frequency."""
    p = _clipped_mean(mean_Y)
    return np.log(p) - np.log1p(-p)


def constant_poisson_logits(mean_Y):
    r""":math:`\log \bar y`: the exponential output predicts the mean count."""
    return np.log(np.maximum(mean_Y, np.finfo(mean_Y.dtype).tiny))


#: Logits of the best constant model of each loss, from the (weighted) mean
#: target of shape (n_outputs,): its loss is the loss of knowing nothing
#: about X, the scale :class:`~skreg._training.DivergenceGuard` measures by.
CONSTANT_LOGITS = {
    "squared_error": constant_squared_error_logits,
    "log_loss": constant_log_loss_logits,
    "binary_log_loss": constant_binary_log_loss_logits,
    "poisson": constant_poisson_logits,
}

LOSS_CURVATURES = {
    "squared_error": squared_error_curvature,
    "log_loss": log_loss_curvature,
    "binary_log_loss": binary_log_loss_curvature,
    "poisson": poisson_curvature,
}

#: The losses unchanged when the same constant is added to every logit of a
#: sample (the softmax's): their curvature is singular along that direction.
SHIFT_INVARIANT_LOSSES = frozenset({"log_loss"})

#: The output function each loss is fused with.
OUTPUT_ACTIVATION = {
    "squared_error": "identity",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
    "poisson": "exp",
}


def log_softmax(Z):
    r"""Row-wise :math:`\log \operatorname{softmax}(z)`, computed stably.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    log_proba : ndarray of shape (n_samples, n_classes)
    """
    return Z - logsumexp(Z, axis=1, keepdims=True)
