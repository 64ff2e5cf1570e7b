"""
======================================
Training curves: data loss and penalty
======================================

During training, :class:`~skreg.MLPRegularizedClassifier` records two numbers
per epoch: ``loss_curve_``, the total loss (data loss plus penalty,
averaged over the epoch's mini-batches), and ``penalty_curve_``, its penalty
part. Their difference is the data loss. Plotting the two parts separately
shows how the penalty competes with the fit: this example trains the same
network on the digits data set without a penalty and with each kind of
penalty, and draws both curves.
"""

# %%
# Training
# --------
# One hidden layer of 64 units, Adam, 300 epochs at most (training stops
# earlier once the total loss stops improving).

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

SETTINGS = [
    ("no penalty", {}),
    ("l2_weight=1e-3", {"l2_weight": 1e-3}),
    ("l1_weight=1e-4, proximal", {"l1_weight": 1e-4, "l1_method": "proximal"}),
    (
        "all four",
        {
            "l1_weight": 1e-4,
            "l1_bias": 1e-4,
            "l2_weight": 1e-3,
            "l2_bias": 1e-3,
            "l1_method": "proximal",
        },
    ),
]

curves = {}
for label, penalty in SETTINGS:
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=0.005,
        max_iter=300,
        random_state=0,
        **penalty,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    total = np.array(model.loss_curve_)
    penalty_part = np.array(model.penalty_curve_)
    curves[label] = (total - penalty_part, penalty_part)
    print(
        f"{label:26s} epochs {model.n_iter_:3d}  final data loss "
        f"{total[-1] - penalty_part[-1]:.4f}  final penalty {penalty_part[-1]:.4f}  "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# The curves
# ----------
# Left: the data loss per epoch, on a logarithmic scale. Right: the penalty
# per epoch (zero throughout for the unpenalised network, so not drawn).

fig, (ax_data, ax_penalty) = plt.subplots(1, 2, figsize=(11, 4.5))
for index, (label, (data_loss, penalty_part)) in enumerate(curves.items()):
    epochs = np.arange(1, data_loss.size + 1)
    ax_data.semilogy(epochs, data_loss, color=f"C{index}", label=label)
    if penalty_part.any():
        ax_penalty.plot(epochs, penalty_part, color=f"C{index}", label=label)
ax_data.set_title("data loss: loss_curve_ - penalty_curve_")
ax_penalty.set_title("penalty: penalty_curve_")
for ax in (ax_data, ax_penalty):
    ax.set_xlabel("epoch")
    ax.legend()
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# **Data loss.** Without a penalty the data loss keeps falling toward zero:
# the network memorises the training set, and nothing holds its weights
# back. With the L2
# penalty, alone or among all four, the data loss levels off: past that
# point, fitting the training set more closely would cost more penalty than
# it saves, and training stops once the total loss no longer improves. With
# the small L1 penalty the data loss keeps falling, more slowly than without
# a penalty.
#
# **Penalty.** Each penalty curve first dips: the random initial weights
# carry a penalty of their own, which the first steps reduce. Then the
# weights that the fit needs grow and the penalty grows with them, until the
# two forces balance. For L2 the curve then stays flat. For the proximal L1
# penalty it peaks and slowly declines: soft thresholding keeps setting
# weights that the data can do without to exactly zero, so the network keeps
# getting sparser while its data loss still improves.
