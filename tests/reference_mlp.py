"""An independent, deliberately plain NumPy reference for the maths of skreg.

Nothing here imports skreg: the tests compare the engine and the estimators
against these few lines, written straight from the specification:

* parameters ``(W_1, b_1, ..., W_L, b_L)``, each layer computing
  ``A @ W + b``, the hidden activation on every layer but the last;
* data loss: the sample-weighted mean of the per-sample loss, which is the
  log-loss summed over output units (softmax, or independent logistic units)
  or half the squared error averaged over outputs;
* penalty: ``l1_weight*sum|W| + l1_bias*sum|b| + l2_weight*sum W^2 +
  l2_bias*sum b^2``, the plain sum over layers, each lambda a float or one
  value per layer.
"""

import numpy as np

HIDDEN_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
}


def unpack(theta, layer_sizes):
    """Split a flat vector into per-layer weights and biases.

    The documented layout: every layer's weight matrix (row-major, shape
    ``(fan_in, fan_out)``), then every layer's bias vector.
    """
    coefs, intercepts, offset = [], [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        coefs.append(theta[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out))
        offset += fan_in * fan_out
    for fan_out in layer_sizes[1:]:
        intercepts.append(theta[offset : offset + fan_out])
        offset += fan_out
    assert offset == theta.size
    return coefs, intercepts


def hidden_pre_activations(X, coefs, intercepts, activation):
    """The pre-activations of every hidden layer (to keep relu away from 0)."""
    pre_activations, layer_input = [], np.asarray(X)
    for coef, intercept in zip(coefs[:-1], intercepts[:-1], strict=True):
        z = layer_input @ coef + intercept
        pre_activations.append(z)
        layer_input = HIDDEN_ACTIVATIONS[activation](z)
    return pre_activations


def logits(X, coefs, intercepts, activation):
    """Output pre-activations of the network."""
    layer_input = np.asarray(X)
    for coef, intercept in zip(coefs[:-1], intercepts[:-1], strict=True):
        layer_input = HIDDEN_ACTIVATIONS[activation](layer_input @ coef + intercept)
    return layer_input @ coefs[-1] + intercepts[-1]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def per_sample_loss(z, Y, kind):
    """Loss of each sample from the logits ``z`` and the targets ``Y`` (2-D)."""
    if kind == "softmax":
        return -np.sum(Y * np.log(softmax(z)), axis=1)
    if kind == "logistic":
        p = sigmoid(z)
        return -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p), axis=1)
    if kind == "squared":
        return 0.5 * np.mean((z - Y) ** 2, axis=1)
    if kind == "poisson":
        # Half the Poisson deviance of y_hat = exp(z), with 0 log 0 = 0.
        y_hat = np.exp(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            y_log_y = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1) / y_hat), 0.0)
        return np.sum(y_log_y - Y + y_hat, axis=1)
    raise ValueError(kind)


def data_loss(z, Y, sample_weight, kind):
    """Weighted mean over samples: sum_i s_i l_i / sum_i s_i."""
    losses = per_sample_loss(z, Y, kind)
    return np.sum(sample_weight * losses) / np.sum(sample_weight)


def per_layer(value, n_layers):
    """A lambda as one value per layer."""
    values = np.atleast_1d(np.asarray(value, dtype=float))
    return np.repeat(values, n_layers) if values.size == 1 else values


def penalty(coefs, intercepts, l1_weight=0.0, l1_bias=0.0, l2_weight=0.0, l2_bias=0.0):
    """The plain sum of the four terms over all layers."""
    n_layers = len(coefs)
    lambdas = [per_layer(v, n_layers) for v in (l1_weight, l1_bias, l2_weight, l2_bias)]
    total = 0.0
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        total += lambdas[0][layer] * np.sum(np.abs(W))
        total += lambdas[1][layer] * np.sum(np.abs(b))
        total += lambdas[2][layer] * np.sum(W**2)
        total += lambdas[3][layer] * np.sum(b**2)
    return total


def objective(theta, layer_sizes, activation, kind, X, Y, sample_weight, lambdas):
    """The full training objective at the flat parameter vector ``theta``."""
    coefs, intercepts = unpack(theta, layer_sizes)
    z = logits(X, coefs, intercepts, activation)
    return data_loss(z, Y, sample_weight, kind) + penalty(coefs, intercepts, **lambdas)


def central_differences(function, theta, step=1e-6):
    """Gradient of ``function`` at ``theta`` by central differences."""
    gradient = np.empty_like(theta)
    for index in range(theta.size):
        shifted = theta.copy()
        shifted[index] = theta[index] + step
        upper = function(shifted)
        shifted[index] = theta[index] - step
        lower = function(shifted)
        gradient[index] = (upper - lower) / (2 * step)
    return gradient
