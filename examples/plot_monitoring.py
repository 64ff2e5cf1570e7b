"""
=====================================
Monitoring training with callbacks
=====================================

With scikit-learn 1.9 and later, skreg's estimators run scikit-learn's
callbacks (see the user guide's *Monitoring training*): a fit is a task
with one sub-task per epoch. This example records the training accuracy at
every epoch with :class:`~sklearn.callback.ScoringMonitor`, and stops
training with a callback of its own once the accuracy on held-out data has
not improved for five epochs.
"""

# %%
# A monitor and a stopping callback
# ---------------------------------
# A callback is any object with ``setup``, ``teardown``,
# ``on_fit_task_begin`` and ``on_fit_task_end``; at an epoch's end it may ask
# for ``fitted_estimator``, the model as at that epoch, and returning True
# stops training there.

import warnings

import matplotlib.pyplot as plt
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skreg import MLPRegularizedClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_held_out, y_train, y_held_out = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)


class HeldOutStopper:
    """Scores each epoch on held-out data; stops after ``patience`` epochs
    without improvement."""

    def __init__(self, X, y, patience=5):
        self.X, self.y, self.patience = X, y, patience
        self.scores = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "epoch":
            return False
        self.scores.append(fitted_estimator.score(self.X, self.y))
        best = max(range(len(self.scores)), key=self.scores.__getitem__)
        return len(self.scores) - 1 - best >= self.patience


monitor = ScoringMonitor(scoring="accuracy")
stopper = HeldOutStopper(X_held_out, y_held_out)
model = MLPRegularizedClassifier(
    hidden_layer_sizes=(32,),
    learning_rate_init=0.005,
    l1_weight=1e-4,
    max_iter=200,
    random_state=0,
)
model.set_callbacks(monitor, stopper)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    model.fit(X_train, y_train)
print(f"stopped after {model.n_iter_} epochs of at most {model.max_iter}")

# %%
# The monitor's log
# -----------------
# One row per task; the epochs' rows carry the training accuracy.

log = monitor.get_logs().data
train_accuracy = [row["accuracy"] for row in log if row["task_name"] == "epoch"]
epochs = range(1, len(train_accuracy) + 1)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(epochs, train_accuracy, label="training (ScoringMonitor)")
ax.plot(epochs, stopper.scores, label="held out (the stopping callback)")
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy")
ax.set_ylim(top=1.005)
ax.legend(loc="lower right")
ax.set_title("Accuracy per epoch, recorded by callbacks")
fig.tight_layout()
plt.show()
