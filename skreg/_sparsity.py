"""What the L1 penalty removed: exact zeros per layer, and input importances.

With ``l1_method='proximal'`` weights and biases end exactly at zero, so
counting them tells which connections the penalty pruned. An input whose
first-layer weights are all zero no longer affects the predictions: its
importance, the norm of its weight row, is exactly zero.
"""

import numpy as np


def layer_sparsity(coefs, intercepts):
    """Count the exactly-zero weights and biases of each layer.

    Parameters
    ----------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)

    Returns
    -------
    sparsity : dict of str to ndarray of shape (n_weight_layers,)
        One entry per layer, the first layer first:

        - ``'n_weights'``, ``'n_zero_weights'`` and ``'zero_weight_share'``
          (their ratio): the weights, and those exactly zero;
        - ``'n_biases'``, ``'n_zero_biases'`` and ``'zero_bias_share'``: the
          same for the biases;
        - ``'n_inputs'`` and ``'n_unused_inputs'``: the layer's inputs
          (features for the first layer, units of the previous layer after
          it), and those whose outgoing weights are all zero.
    """
    n_weights = np.array([coef.size for coef in coefs])
    n_zero_weights = np.array([np.count_nonzero(coef == 0) for coef in coefs])
    n_biases = np.array([intercept.size for intercept in intercepts])
    n_zero_biases = np.array(
        [np.count_nonzero(intercept == 0) for intercept in intercepts]
    )
    return {
        "n_weights": n_weights,
        "n_zero_weights": n_zero_weights,
        "zero_weight_share": n_zero_weights / np.maximum(n_weights, 1),
        "n_biases": n_biases,
        "n_zero_biases": n_zero_biases,
        "zero_bias_share": n_zero_biases / np.maximum(n_biases, 1),
        "n_inputs": np.array([coef.shape[0] for coef in coefs]),
        "n_unused_inputs": np.array(
            [np.count_nonzero(~coef.any(axis=1)) for coef in coefs]
        ),
    }


def input_importances(first_coef):
    r"""The Euclidean norm of each input's first-layer weight row.

    .. math::

        \text{importance}_j = \Big(\sum_k W_{1,jk}^2\Big)^{1/2}

    It is zero exactly when input :math:`j` has no effect on the network.

    Parameters
    ----------
    first_coef : ndarray of shape (n_features, fan_out)
        The first layer's weight matrix.

    Returns
    -------
    importances : ndarray of shape (n_features,)
    """
    return np.linalg.norm(first_coef, axis=1)
