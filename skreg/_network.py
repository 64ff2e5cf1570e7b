r"""The parameter buffer, its layer views, and the forward and backward passes.

All weights and biases of a network live in one contiguous 1-D buffer:
first every layer's weight matrix, then every layer's bias vector. Layer
``l``'s weight matrix :math:`W_l` (of shape ``(fan_in, fan_out)``) and bias
:math:`b_l` are views into it, so that optimizers and penalties update the
whole network in a few vectorised operations, while the forward and backward
passes see ordinary matrices. Gradients and optimizer state use the same
layout.

For an input :math:`A_0 = X`, the forward pass computes

.. math::

    Z_l = A_{l-1} W_l + b_l, \qquad A_l = f(Z_l) \quad (l < L),

and keeps the output layer's pre-activations :math:`Z_L` (logits), which the
fused losses of :mod:`skreg._functions` turn into
:math:`\Delta_L = \partial\,\text{loss} / \partial Z_L`. The backward pass
then computes, from the last layer down,

.. math::

    \nabla_{W_l} = A_{l-1}^\top \Delta_l, \qquad
    \nabla_{b_l} = \mathbf{1}^\top \Delta_l, \qquad
    \Delta_{l-1} = (\Delta_l W_l^\top) \odot f'(Z_{l-1}).

The data loss is already a weighted *mean* (its per-sample weights sum to
one), so the gradients need no division by the number of samples.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.extmath import safe_sparse_dot

from ._engines import NUMPY_ENGINE


def layer_views(buffer, layer_sizes):
    """Split a flat buffer into per-layer weight matrices and bias vectors.

    Parameters
    ----------
    buffer : ndarray of shape (n_parameters,)
        A flat buffer with the network's layout (all weights, then all biases).
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.

    Returns
    -------
    coefs : list of ndarray of shape (fan_in, fan_out)
        Views into ``buffer``.
    intercepts : list of ndarray of shape (fan_out,)
        Views into ``buffer``.
    """
    coefs, intercepts = [], []
    offset = 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        coefs.append(
            buffer[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out)
        )
        offset += fan_in * fan_out
    for fan_out in layer_sizes[1:]:
        intercepts.append(buffer[offset : offset + fan_out])
        offset += fan_out
    return coefs, intercepts


def parameter_slices(layer_sizes):
    """Where each layer's weights and biases sit in the flat buffer.

    Parameters
    ----------
    layer_sizes : sequence of int

    Returns
    -------
    coef_slices, intercept_slices : list of slice
        One slice per layer each.
    """
    coef_slices, intercept_slices = [], []
    offset = 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        coef_slices.append(slice(offset, offset + fan_in * fan_out))
        offset += fan_in * fan_out
    for fan_out in layer_sizes[1:]:
        intercept_slices.append(slice(offset, offset + fan_out))
        offset += fan_out
    return coef_slices, intercept_slices


def n_parameters(layer_sizes):
    """Number of weights and biases of a network with these layer sizes."""
    return sum(
        (fan_in + 1) * fan_out
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    )


def forward(X, coefs, intercepts, activation, out=None, engine=None):
    r"""Forward pass; return every layer's activations, with the logits last.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    activation : str
        Name of the hidden activation, a key of ``ACTIVATIONS``.
    out : list of ndarray of shape (n_samples, fan_out), default=None
        Buffers to write into (training reuses them at every step). When None,
        new arrays are allocated, so concurrent calls share nothing.
    engine : Engine, default=None
        Computes the bias and activation pass (:mod:`skreg._engines`); NumPy's
        when None.

    Returns
    -------
    activations : list of ndarray of shape (n_samples, fan_out)
        :math:`A_1, \dots, A_{L-1}` and the output pre-activations :math:`Z_L`.
    """
    bias_activations = (engine or NUMPY_ENGINE).bias_activations
    n_layers = len(coefs)
    if out is None:
        out = [None] * n_layers
    layer_input = X
    for index, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        if out[index] is not None and not sp.issparse(layer_input):
            np.matmul(layer_input, coef, out=out[index])
        else:
            result = safe_sparse_dot(layer_input, coef, dense_output=True)
            if out[index] is None:
                out[index] = result
            else:
                out[index][...] = result
        # The output layer's function is fused with the loss.
        name = activation if index < n_layers - 1 else "identity"
        bias_activations[name](out[index], intercept)
        layer_input = out[index]
    return out


def backward(
    X,
    activations,
    deltas,
    coefs,
    activation,
    coef_grads,
    intercept_grads,
    ones,
    engine=None,
):
    r"""Backward pass: fill the gradients from the output layer's delta.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    activations : list of ndarray of shape (n_samples, fan_out)
        From :func:`forward`; the last one must already hold :math:`\Delta_L`.
        All are overwritten.
    deltas : list of ndarray of shape (n_samples, fan_out)
        Work space for the hidden layers' deltas, one per hidden layer;
        overwritten.
    coefs : list of ndarray of shape (fan_in, fan_out)
    activation : str
        Name of the hidden activation, a key of ``DERIVATIVES``.
    coef_grads : list of ndarray of shape (fan_in, fan_out)
        Overwritten with :math:`\nabla_{W_l}`.
    intercept_grads : list of ndarray of shape (fan_out,)
        Overwritten with :math:`\nabla_{b_l}`.
    ones : ndarray of shape (n_samples,)
        A vector of ones: :math:`\mathbf{1}^\top \Delta_l` as a
        matrix-vector product is several times faster than a sum over axis 0.
    engine : Engine, default=None
        Computes the derivative pass; NumPy's when None.
    """
    derivative = (engine or NUMPY_ENGINE).derivatives[activation]
    delta = activations[-1]
    for index in range(len(coefs) - 1, -1, -1):
        layer_input = X if index == 0 else activations[index - 1]
        if sp.issparse(layer_input):
            coef_grads[index][...] = safe_sparse_dot(
                layer_input.T, delta, dense_output=True
            )
        else:
            np.matmul(layer_input.T, delta, out=coef_grads[index])
        np.matmul(ones, delta, out=intercept_grads[index])
        if index > 0:
            previous = deltas[index - 1]
            np.matmul(delta, coefs[index].T, out=previous)
            # Overwrites activations[index - 1], which nothing needs any more.
            derivative(activations[index - 1], previous)
            delta = previous


def ignore_stage(stage):
    """The default ``on_stage`` hook: nothing to record."""


class Network:
    """A multilayer perceptron's parameters in one flat buffer.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    loss : str
        Output loss, a key of ``LOSSES``.
    dtype : numpy dtype
        float32 or float64.
    engine : Engine, default=None
        Computes the element-wise passes of training (:mod:`skreg._engines`);
        NumPy's when None.

    Attributes
    ----------
    params : ndarray of shape (n_parameters,)
        The flat parameter buffer.
    coefs : list of ndarray of shape (fan_in, fan_out)
        Views into ``params``.
    intercepts : list of ndarray of shape (fan_out,)
        Views into ``params``.
    gradient : ndarray of shape (n_parameters,)
        The flat gradient buffer, filled by :meth:`loss_gradient`.
    coef_grads, intercept_grads : list of ndarray
        Per-layer views into ``gradient``.
    """

    def __init__(self, layer_sizes, activation, loss, dtype, engine=None):
        self.engine = engine or NUMPY_ENGINE
        self.layer_sizes = list(layer_sizes)
        self.activation = activation
        self.loss = loss
        self.dtype = np.dtype(dtype)
        self.params = np.zeros(n_parameters(self.layer_sizes), dtype=self.dtype)
        self.coefs, self.intercepts = layer_views(self.params, self.layer_sizes)
        self.gradient = np.zeros_like(self.params)
        self.coef_grads, self.intercept_grads = layer_views(
            self.gradient, self.layer_sizes
        )

    def workspace(self, batch_size):
        """Allocate the per-batch buffers for batches of up to ``batch_size`` rows.

        Parameters
        ----------
        batch_size : int

        Returns
        -------
        workspace : Workspace
        """
        return Workspace(self.layer_sizes, batch_size, self.dtype)

    def loss_gradient(self, X, Y, sample_weight, workspace, on_stage=None):
        """Data loss of a batch; its gradient goes to :attr:`gradient`.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)
            Normalized sample weights, summing to one.
        workspace : Workspace
            Buffers for at least ``n_samples`` rows.
        on_stage : callable, default=None
            Called with 'forward', 'loss' and 'backward' after each stage
            (a profiler's timer).

        Returns
        -------
        loss : float
            The weighted mean data loss (no penalty).
        """
        on_stage = on_stage or ignore_stage
        activations, deltas, ones = workspace.rows(X.shape[0])
        forward(
            X,
            self.coefs,
            self.intercepts,
            self.activation,
            out=activations,
            engine=self.engine,
        )
        on_stage("forward")
        loss = self.engine.losses[self.loss](activations[-1], Y, sample_weight)
        on_stage("loss")
        backward(
            X,
            activations,
            deltas,
            self.coefs,
            self.activation,
            self.coef_grads,
            self.intercept_grads,
            ones,
            engine=self.engine,
        )
        on_stage("backward")
        return loss

    def loss_gradient_in_chunks(self, X, Y, sample_weight, workspace, accumulator):
        """Data loss and gradient over any number of rows, a workspace at a time.

        The weights are normalized over all the rows, so the loss and the
        gradient are sums over samples: each chunk's part adds up to the
        whole. Memory stays that of one chunk, whatever the number of rows.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)
            Normalized sample weights, summing to one over all rows.
        workspace : Workspace
            Buffers for the chunks.
        accumulator : ndarray of shape (n_parameters,)
            Work space, overwritten.

        Returns
        -------
        loss : float
            The weighted mean data loss; its gradient is in :attr:`gradient`.
        """
        n_samples = X.shape[0]
        if n_samples <= workspace.batch_size:
            return self.loss_gradient(X, Y, sample_weight, workspace)
        loss = 0.0
        accumulator[...] = 0
        for rows in gen_batches(n_samples, workspace.batch_size):
            loss += self.loss_gradient(X[rows], Y[rows], sample_weight[rows], workspace)
            accumulator += self.gradient
        self.gradient[...] = accumulator
        return loss

    def initialize(self, random_state):
        r"""Draw initial weights and biases (Glorot uniform).

        Each layer's weights and biases are drawn uniformly from
        :math:`[-r, r]` with :math:`r = \sqrt{c / (\text{fan\_in} +
        \text{fan\_out})}`, :math:`c = 2` for a logistic activation and 6
        otherwise (Glorot & Bengio, 2010), as scikit-learn's MLP does.

        Parameters
        ----------
        random_state : numpy.random.RandomState
        """
        factor = 2.0 if self.activation == "logistic" else 6.0
        for coef, intercept in zip(self.coefs, self.intercepts, strict=True):
            fan_in, fan_out = coef.shape
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef[...] = random_state.uniform(-bound, bound, coef.shape)
            intercept[...] = random_state.uniform(-bound, bound, intercept.shape)

    def set_parameters(self, coefs, intercepts):
        """Copy per-layer arrays into the buffer, checking their shapes.

        Parameters
        ----------
        coefs : list of array-like of shape (fan_in, fan_out)
        intercepts : list of array-like of shape (fan_out,)

        Raises
        ------
        ValueError
            If the shapes do not match the layer sizes.
        """
        expected = [coef.shape for coef in self.coefs] + [
            intercept.shape for intercept in self.intercepts
        ]
        given = [np.shape(array) for array in list(coefs) + list(intercepts)]
        if given != expected:
            raise ValueError(
                "The fitted parameters do not fit the network to train: their "
                f"shapes are {given}, the network needs {expected}. Set "
                "warm_start=False (or refit from scratch) after changing "
                "hidden_layer_sizes, the number of features or the outputs."
            )
        for target, source in zip(
            self.coefs + self.intercepts, list(coefs) + list(intercepts), strict=True
        ):
            target[...] = source


class Workspace:
    """Buffers for the forward and backward passes of batches up to a size.

    Parameters
    ----------
    layer_sizes : sequence of int
    batch_size : int
        The largest number of rows a batch will have.
    dtype : numpy dtype

    Attributes
    ----------
    batch_size : int
    activations : list of ndarray of shape (batch_size, fan_out)
        One per layer (the last holds the logits, then the output delta).
    deltas : list of ndarray of shape (batch_size, fan_out)
        One per hidden layer.
    ones : ndarray of shape (batch_size,)
        Ones, to sum deltas over samples with a matrix-vector product.
    """

    def __init__(self, layer_sizes, batch_size, dtype):
        self.batch_size = batch_size
        self.activations = [np.empty((batch_size, n), dtype) for n in layer_sizes[1:]]
        self.deltas = [np.empty((batch_size, n), dtype) for n in layer_sizes[1:-1]]
        self.ones = np.ones(batch_size, dtype)

    def rows(self, n_rows):
        """Views of the first ``n_rows`` rows of every buffer (contiguous).

        Returns
        -------
        activations, deltas : list of ndarray of shape (n_rows, fan_out)
        ones : ndarray of shape (n_rows,)
        """
        if n_rows == self.batch_size:
            return self.activations, self.deltas, self.ones
        return (
            [buffer[:n_rows] for buffer in self.activations],
            [buffer[:n_rows] for buffer in self.deltas],
            self.ones[:n_rows],
        )
