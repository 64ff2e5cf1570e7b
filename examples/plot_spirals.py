"""
====================================
Decision boundaries on three spirals
====================================

The three interleaved spirals are the toy data set on which Stanford's
CS231n course notes derive, by hand, the forward and backward passes of a
small neural network with a softmax output and an L2 penalty. No linear
model can separate them; a network with one hidden layer can. This example
generates the data set the same way, fits
:class:`~skreg.MLPRegularizedClassifier` without and with penalties, and
draws the decision regions with the training and validation accuracies.

(The notes write the penalty as :math:`\\tfrac12 \\lambda \\sum W^2`; in
skreg's convention that is ``l2_weight`` :math:`= \\lambda / 2`.)
"""

# %%
# The data
# --------
# Each class :math:`j` is a spiral arm of ``n`` points: the radius grows
# linearly from 0 to 1 while the angle sweeps four radians, starting at
# :math:`4j`, with Gaussian noise on the angle.

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.model_selection import train_test_split

from skreg import MLPRegularizedClassifier


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, random_state=0):
    """Three (or ``n_classes``) interleaved spirals in the plane."""
    rng = np.random.RandomState(random_state)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=int)
    for j in range(n_classes):
        rows = slice(n_per_class * j, n_per_class * (j + 1))
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class)
        angle += noise * rng.randn(n_per_class)
        X[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        y[rows] = j
    return X, y


X, y = make_spirals()
X_train, X_val, y_train, y_val = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Four settings
# -------------
# One hidden layer of 100 ReLU units, as in the notes, trained with L-BFGS on
# the whole training set. The settings: no penalty; a moderate L2 penalty; an
# L1 penalty with ``l1_method='proximal'``, which sets most weights exactly
# to zero; and an L2 penalty strong enough to underfit.

SETTINGS = [
    ("no penalty", {}),
    ("l2_weight=1e-3", {"l2_weight": 1e-3}),
    ("l1_weight=1e-3, proximal", {"l1_weight": 1e-3, "l1_method": "proximal"}),
    ("l2_weight=1e-2 (too strong)", {"l2_weight": 1e-2}),
]

models = {}
for label, penalty in SETTINGS:
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(100,),
        solver="lbfgs",
        max_iter=2000,
        random_state=0,
        **penalty,
    )
    models[label] = model.fit(X_train, y_train)
    sparsity = model.sparsity()
    zero_share = sparsity["n_zero_weights"].sum() / sparsity["n_weights"].sum()
    # A hidden unit whose outgoing weights are all zero no longer matters.
    units_in_use = 100 - sparsity["n_unused_inputs"][1]
    print(
        f"{label:28s} train {model.score(X_train, y_train):.3f}  "
        f"validation {model.score(X_val, y_val):.3f}  "
        f"weights exactly zero {zero_share:.0%}  hidden units in use {units_in_use}"
    )

# %%
# Decision regions
# ----------------
# Each panel colours the plane by the predicted class; the dots are the
# training points, the crosses the validation points.

grid_x, grid_y = np.meshgrid(np.linspace(-1.1, 1.1, 300), np.linspace(-1.1, 1.1, 300))
grid = np.c_[grid_x.ravel(), grid_y.ravel()]
class_colors = ListedColormap(["tab:blue", "tab:orange", "tab:green"])

fig, axes = plt.subplots(2, 2, figsize=(9, 9), sharex=True, sharey=True)
for ax, (label, model) in zip(axes.ravel(), models.items(), strict=True):
    regions = model.predict(grid).reshape(grid_x.shape)
    ax.contourf(
        grid_x,
        grid_y,
        regions,
        levels=[-0.5, 0.5, 1.5, 2.5],
        cmap=class_colors,
        alpha=0.25,
    )
    ax.scatter(*X_train.T, c=y_train, cmap=class_colors, s=12, edgecolors="k", lw=0.3)
    ax.scatter(*X_val.T, c=y_val, cmap=class_colors, s=30, marker="x")
    ax.set_title(
        f"{label}\ntrain {model.score(X_train, y_train):.3f}, "
        f"validation {model.score(X_val, y_val):.3f}",
        fontsize="medium",
    )
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()

# %%
# What the panels show
# --------------------
# The spirals are clean enough that the unpenalised network already
# generalises well: it fits the training arms almost perfectly, and the
# penalties do not improve on its validation accuracy here. What they change
# is the function the network computes.
#
# * A moderate L2 penalty keeps the weights small, which rounds the
#   boundaries off, at a small cost in accuracy.
# * The proximal L1 penalty fits about as well with nearly all weights
#   exactly zero and only a few hidden units still connected. A network with
#   one hidden layer of ReLU units is piecewise linear, bending only along one
#   line per hidden unit, so its boundaries are now made of a handful of
#   straight pieces.
# * Ten times more L2 is too much: the network can no longer afford weights
#   large enough to follow the arms, and both accuracies drop. The penalty
#   underfits.
