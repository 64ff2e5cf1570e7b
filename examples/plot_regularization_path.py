"""
==========================================
Regularization path on the digits data set
==========================================

How do test accuracy and sparsity move as one lambda grows? This example
fits :class:`~skreg.MLPRegularizedClassifier` on scikit-learn's 8x8 digits
with one hidden layer of 64 units, turning up one penalty at a time while
the other three stay at zero, and records for each fit

* the accuracy on a held-out test set,
* the share of the penalised parameters (weights for ``l1_weight`` and
  ``l2_weight``, biases for ``l1_bias`` and ``l2_bias``) that are *exactly*
  zero, and the share that are merely small, below :math:`10^{-3}` in
  magnitude.

The L1 penalties are fitted twice: with the default
``l1_method='subgradient'``, which follows the derived gradient
:math:`\\lambda_1 \\operatorname{sign}_+(w)`, and with
``l1_method='proximal'``, which soft-thresholds after each step and leaves
weights exactly at zero.
"""

# %%
# Data and settings
# -----------------
# Pixel intensities go from 0 to 16; dividing by 16 puts every input on the
# same [0, 1] scale, so that the penalty treats them alike.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skreg import MLPRegularizedClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

lambdas = np.logspace(-6, 0, 7)
NEAR_ZERO = 1e-3

#: (label, penalty parameter, l1_method) of each path.
PATHS = [
    ("l1_weight, proximal", "l1_weight", "proximal"),
    ("l1_weight, subgradient", "l1_weight", "subgradient"),
    ("l2_weight", "l2_weight", "subgradient"),
    ("l1_bias, proximal", "l1_bias", "proximal"),
    ("l1_bias, subgradient", "l1_bias", "subgradient"),
    ("l2_bias", "l2_bias", "subgradient"),
]


def fit(**penalty):
    """Fit one network; return test accuracy and its weights and biases."""
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=0.003,
        max_iter=100,
        random_state=0,
        **penalty,
    )
    # A budget of 100 epochs keeps the example fast; some fits stop there.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    weights = np.concatenate([coef.ravel() for coef in model.coefs_])
    biases = np.concatenate(model.intercepts_)
    return model.score(X_test, y_test), weights, biases


# %%
# Fitting the paths
# -----------------
# 7 values for each of the 6 paths, and the unpenalised baseline.

baseline_accuracy, _, _ = fit()
results = {}
for label, parameter, l1_method in PATHS:
    rows = []
    for value in lambdas:
        accuracy, weights, biases = fit(**{parameter: value, "l1_method": l1_method})
        penalised = weights if parameter.endswith("weight") else biases
        rows.append(
            (
                accuracy,
                np.mean(penalised == 0),
                np.mean(np.abs(penalised) < NEAR_ZERO),
            )
        )
    results[label] = np.array(rows)

print(f"no penalty: test accuracy {baseline_accuracy:.3f}")
for label, rows in results.items():
    best = np.argmax(rows[:, 0])
    print(
        f"{label:24s} best test accuracy {rows[best, 0]:.3f} at "
        f"lambda={lambdas[best]:.0e}; exactly zero at lambda=1e-3: "
        f"{rows[3, 1]:.0%}"
    )

# %%
# Plotting
# --------
# Left: the weight penalties; right: the bias penalties. Top: test accuracy
# (the dotted line is the unpenalised network). Bottom: the share of the
# penalised parameters that are exactly zero (solid) and below 1e-3 in
# magnitude (dashed).

colors = {"proximal": "C0", "subgradient": "C1", "l2": "C2"}


def color_of(label):
    if label.startswith("l2"):
        return colors["l2"]
    return colors["proximal"] if "proximal" in label else colors["subgradient"]


fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey="row")
for column, kind in enumerate(["weight", "bias"]):
    top, bottom = axes[0, column], axes[1, column]
    for label, rows in results.items():
        if kind not in label:
            continue
        color = color_of(label)
        top.semilogx(lambdas, rows[:, 0], "o-", color=color, label=label)
        bottom.semilogx(lambdas, rows[:, 1], "o-", color=color, label=label)
        bottom.semilogx(lambdas, rows[:, 2], "--", color=color, alpha=0.7)
    top.axhline(baseline_accuracy, color="gray", linestyle=":", label="no penalty")
    top.set_title(f"penalties on the {'weights' if kind == 'weight' else 'biases'}")
    top.legend(loc="lower left", fontsize="small")
    bottom.set_xlabel("lambda")
axes[0, 0].set_ylabel("test accuracy")
axes[1, 0].set_ylabel(
    "share of penalised parameters\nexactly 0 (solid), |.| < 1e-3 (dashed)"
)
fig.tight_layout()
plt.show()

# %%
# Reading the figure
# ------------------
# * **Accuracy.** Each weight penalty leaves accuracy where it is over
#   several decades of lambda, then makes it collapse once the penalty
#   dominates the data loss. The bias penalties barely move it: the biases
#   are 74 of the network's 4,810 parameters.
# * **Exact zeros need the proximal method.** With
#   ``l1_method='subgradient'`` no weight is ever exactly zero: the derived
#   gradient pushes a weight near zero back and forth across it. Many
#   weights do end up small (dashed line), but small is not zero. With
#   ``l1_method='proximal'`` the same lambda leaves a large share of the
#   weights at exactly zero, while the test accuracy stays close to the
#   unpenalised network's.
# * **L2 shrinks, it does not select.** ``l2_weight`` pulls every weight
#   toward zero in proportion to its size, so weights get small but none
#   becomes exactly zero.
