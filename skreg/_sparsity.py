"""What the non-smooth penalties removed: exact zeros, dead inputs and units.

With ``l1_method='proximal'`` weights and biases end exactly at zero, so
counting them tells which connections the penalties pruned. The group
penalty zeroes whole rows of a weight matrix: an input, or a hidden unit,
with no outgoing weight. :func:`live_units` follows the zeros through the
network: a unit is kept when the output depends on it through kept units;
the others are either unused (nothing of them reaches the output) or
constant (nothing of the input reaches them), which :func:`compact_network`
folds into the next layer's biases.
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
          it), and those whose outgoing weights are all zero;
        - ``'n_units'`` and ``'n_removed_units'``: the layer's output units,
          and those the network no longer needs (:func:`live_units`; 0 for
          the output layer), which :func:`compact_network` drops.
    """
    kept = live_units(coefs)
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
        "n_units": np.array([coef.shape[1] for coef in coefs]),
        "n_removed_units": np.array([np.count_nonzero(~mask) for mask in kept[1:]]),
    }


def live_units(coefs):
    """Which units of each layer the output depends on, through kept units.

    A hidden unit is *varying* when a nonzero weight reaches it from a
    varying unit of the previous layer (the inputs vary), and *used* when it
    has a nonzero weight to a used unit of the next layer (the outputs are
    used). It is kept when both hold: an unused unit changes nothing, and a
    used but constant one (nothing of the input reaches it) adds a constant
    to the next layer, which can be folded into its biases.

    Parameters
    ----------
    coefs : list of ndarray of shape (fan_in, fan_out)

    Returns
    -------
    kept : list of ndarray of bool
        One mask per layer of units, inputs first, outputs last (always all
        kept). An input is kept when it is used.
    """
    nonzero = [coef != 0 for coef in coefs]
    varying = [np.ones(coefs[0].shape[0], dtype=bool)]
    for links in nonzero:
        varying.append(links[varying[-1]].any(axis=0))
    used = [np.ones(coefs[-1].shape[1], dtype=bool)]
    for links in reversed(nonzero):
        used.insert(0, links[:, used[0]].any(axis=1))
    kept = [v & u for v, u in zip(varying, used, strict=True)]
    kept[-1][:] = True
    return kept


def compact_network(coefs, intercepts, activation):
    """The same function with the units :func:`live_units` removes dropped.

    Unused units are dropped with their weights; constant ones too, after
    adding their constant contribution to the next layer's biases. The
    inputs all stay (a removed input keeps its zero row), so that the
    compact network takes the same data. A hidden layer left with no kept
    unit keeps its first: unused, its value does not matter (its weights to
    the kept units are zero); constant, it keeps its value.

    Parameters
    ----------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    activation : str
        The hidden activation, a key of ``ACTIVATIONS``.

    Returns
    -------
    coefs, intercepts : list of ndarray
        New arrays, of the same dtype.
    """
    from ._network import forward

    kept = live_units(coefs)
    kept[0][:] = True
    for mask in kept[1:-1]:
        if not mask.any():
            mask[0] = True
    # Constant units have the same value for every input: read it at zero.
    values = forward(
        np.zeros((1, coefs[0].shape[0]), dtype=coefs[0].dtype),
        coefs,
        intercepts,
        activation,
    )
    new_coefs, new_intercepts = [], []
    for layer, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        rows, columns = kept[layer], kept[layer + 1]
        new_coef = coef[np.ix_(rows, columns)].copy()
        new_intercept = intercept[columns].copy()
        if layer > 0:
            # The dropped units' constant contribution (zero for unused ones,
            # whose weights to kept units are zero).
            dropped = ~rows
            constant = values[layer - 1][0, dropped]
            new_intercept += (constant @ coef[np.ix_(dropped, columns)]).astype(
                coef.dtype
            )
        new_coefs.append(new_coef)
        new_intercepts.append(new_intercept)
    return new_coefs, new_intercepts


def input_importances(coefs):
    r"""The Euclidean norm of each input's first-layer weights to kept units.

    .. math::

        \text{importance}_j = \Big(\sum_{k \text{ kept}} W_{1,jk}^2\Big)^{1/2}

    with the kept units of :func:`live_units`: it is zero exactly when input
    :math:`j` has no effect on the network (its row is zero, or it reaches
    only units that the output does not depend on).

    Parameters
    ----------
    coefs : list of ndarray of shape (fan_in, fan_out)
        The weight matrices, the first one's rows the inputs.

    Returns
    -------
    importances : ndarray of shape (n_features,)
    """
    kept = live_units(coefs)[1]
    return np.linalg.norm(coefs[0][:, kept], axis=1)
