"""
==================================================
Feature selection with an L1 penalty on the inputs
==================================================

An L1 penalty on the first layer's weights, with ``l1_method='proximal'``,
sets the weights of inputs the network does not need exactly to zero. An
input whose whole row of first-layer weights is zero no longer affects the
predictions, and ``feature_importances_``, the norm of each input's row,
says so. This example uses it with
:class:`~sklearn.feature_selection.SelectFromModel` to find the 5 informative
inputs among 50.

The data is Friedman's regression problem #1
(:func:`~sklearn.datasets.make_friedman1`): the target depends on the first
five inputs only, nonlinearly,

.. math::

    y = 10 \\sin(\\pi x_0 x_1) + 20 (x_2 - 0.5)^2 + 10 x_3 + 5 x_4
        + \\varepsilon,

and the other 45 inputs are independent noise.
"""

# %%
# Data
# ----
# 2,000 samples, 30% held out for testing. The target is standardised so
# that the data loss, and with it the useful range of the lambdas, does not
# depend on its units.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LassoCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegularizedRegressor

N_INFORMATIVE = 5
X, y = make_friedman1(n_samples=2000, n_features=50, noise=1.0, random_state=0)
y = (y - y.mean()) / y.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
informative = np.arange(X.shape[1]) < N_INFORMATIVE

# %%
# Penalising the first layer
# --------------------------
# ``l1_weight`` takes one value per layer: here an L1 penalty on the first
# layer and none on the output layer. The output layer gets a small L2
# penalty instead, and it is needed. A ReLU unit satisfies
# :math:`\operatorname{relu}(z / c) = \operatorname{relu}(z) / c` for any
# :math:`c > 0`, so dividing the first layer's weights and biases by
# :math:`c` and multiplying the output weights by :math:`c` leaves every
# prediction unchanged while dividing the first layer's L1 penalty by
# :math:`c`. With the output layer free, training could shrink the first
# layer's penalty toward zero that way, without removing any input. The L2
# term on the output weights makes that trade cost something.


def network(l1_first_layer):
    return MLPRegularizedRegressor(
        hidden_layer_sizes=(32,),
        l1_weight=(l1_first_layer, 0.0),
        l2_weight=(0.0, 1e-3),
        l1_method="proximal",
        max_iter=1000,
        random_state=0,
    )


def fit(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train)


plain = fit(make_pipeline(StandardScaler(), network(0.0)))
sparse = fit(make_pipeline(StandardScaler(), network(7e-3)))

for name, model in [("no L1", plain), ("L1 on the first layer", sparse)]:
    importances = model[-1].feature_importances_
    print(
        f"{name}: test R2 {model.score(X_test, y_test):.3f}; inputs with an "
        f"all-zero weight row: {np.sum(importances == 0)} of {importances.size}; "
        f"largest noise importance {importances[~informative].max():.3f}, "
        f"smallest informative {importances[informative].min():.3f}"
    )

# %%
# Selecting the inputs
# --------------------
# :class:`~sklearn.feature_selection.SelectFromModel` fits the penalised
# network and keeps the inputs whose importance reaches its threshold; a
# second, unpenalised network is then trained on those inputs only. Stochastic
# training leaves a few noise rows at small nonzero values (a mini-batch's
# gradient can lift a weight off zero again), so the threshold used here is
# the default one, the mean importance, rather than zero.
# ``SelectFromModel(..., threshold=1e-12)`` would keep exactly the inputs with
# a nonzero row.

selector = SelectFromModel(network(7e-3))
selected_then_refit = fit(
    make_pipeline(
        StandardScaler(),
        selector,
        MLPRegularizedRegressor(
            hidden_layer_sizes=(32,), max_iter=1000, random_state=0
        ),
    )
)
kept = np.flatnonzero(selected_then_refit[1].get_support())
print(f"SelectFromModel keeps inputs {kept.tolist()}")

# A linear model for reference: the Lasso cannot see the symmetric effect of x2.
lasso = make_pipeline(StandardScaler(), LassoCV()).fit(X_train, y_train)
print(f"LassoCV keeps x2: {lasso[-1].coef_[2] != 0}")

scores = {
    "network,\nno L1": plain.score(X_test, y_test),
    "network,\nL1 first layer": sparse.score(X_test, y_test),
    "selected inputs,\nthen network": selected_then_refit.score(X_test, y_test),
    "LassoCV\n(linear)": lasso.score(X_test, y_test),
}

# %%
# Figure
# ------
# Top: each input's importance without and with the L1 penalty (the first
# five inputs, in orange, are the informative ones; a missing bar is an
# exact zero). Bottom: test :math:`R^2` of the four models.

fig = plt.figure(figsize=(10, 8))
grid = fig.add_gridspec(3, 2)
colors = np.where(informative, "tab:orange", "tab:blue")
for row, (name, model) in enumerate(
    [("no L1 penalty", plain), ("L1 penalty on the first layer", sparse)]
):
    ax = fig.add_subplot(grid[row, :])
    importances = model[-1].feature_importances_
    ax.bar(np.arange(importances.size), importances, color=colors)
    ax.set_title(
        f"{name}: {np.sum(importances == 0)} of {importances.size} inputs "
        "with all first-layer weights exactly zero",
        fontsize="medium",
    )
    ax.set_ylabel("feature_importances_")
    ax.set_xlim(-1, importances.size)
    if name.startswith("L1"):
        ax.axhline(
            importances.mean(),
            color="gray",
            linestyle="--",
            label="mean importance (SelectFromModel's threshold)",
        )
        ax.legend(fontsize="small")
ax.set_xlabel("input")

ax = fig.add_subplot(grid[2, :])
bars = ax.barh(list(scores), list(scores.values()), color="tab:green")
ax.bar_label(bars, fmt="%.3f", padding=3)
ax.set_xlim(0, 1.1)
ax.invert_yaxis()
ax.set_xlabel("test R2")
fig.tight_layout()
plt.show()

# %%
# What it shows
# -------------
# Without a penalty the network spreads weight over all 50 inputs and
# overfits the noise. With the L1 penalty on the first layer, many noise
# inputs lose every weight, exactly, and the others keep only tiny ones, an
# order of magnitude below the informative inputs; the test :math:`R^2` rises
# sharply. Selecting the inputs and retraining on them alone gives a network
# that sees only the signal. The Lasso, restricted to linear effects, misses
# the purely quadratic effect of :math:`x_2`: its coefficient is zero.
