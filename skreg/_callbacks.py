"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

The only module that imports ``sklearn.callback``. On older releases
``CallbackSupportMixin`` is an empty class, the estimators have no
``set_callbacks``, and every helper here does nothing: skreg behaves as
before.

The training core knows nothing of callbacks: it calls one hook at the end
of every epoch (lbfgs: iteration), ``on_epoch_end(epoch)``, and stops if the
hook returns True. :class:`EpochContexts` is that hook, as scikit-learn's
``LogisticRegression`` bridges its lbfgs iterations: one sub-task per epoch,
begun before the epoch and ended after it. When the stopping rule ends
training before ``max_iter``, the sub-task begun for the next epoch is ended
empty by :meth:`EpochContexts.close`.
"""

from contextlib import contextmanager

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callbacks

    class CallbackSupportMixin:
        """Stands in for scikit-learn's mixin, which this release lacks."""

    HAS_CALLBACKS = False
else:
    HAS_CALLBACKS = True


def has_callbacks(estimator):
    """Whether callbacks are set on the estimator, its own or propagated."""
    return bool(getattr(estimator, "_skl_callbacks", None))


class EpochContexts:
    """The core's ``on_epoch_end`` hook: one callback sub-task per epoch.

    Parameters
    ----------
    context : CallbackContext
        The estimator's fit context (``_init_callback_context``).
    estimator : estimator
        The estimator being fitted.
    network : Network
        Holds the parameters being trained; read at each epoch's end, copied
        only if a callback asks for the fitted estimator.
    X, y : array-like
        The training data, passed on to the callbacks.
    metadata : dict or None
        ``{"sample_weight": ...}`` if given.
    name : str, default="epoch"
        The sub-tasks' name ("iteration" for lbfgs).
    max_epochs : int or None
        No sub-task is begun past this many epochs.
    """

    def __init__(
        self, context, estimator, network, X, y, metadata, name="epoch", max_epochs=None
    ):
        self.context = context
        self.estimator = estimator
        self.network = network
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.name = name
        self.max_epochs = max_epochs
        self.n_begun = 0
        self.stopped = False
        self._epoch = self._begin()

    def _begin(self):
        self.n_begun += 1
        epoch = self.context.subcontext(task_name=self.name)
        epoch.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        return epoch

    def _fitted_attributes(self):
        return {
            "coefs_": [coef.copy() for coef in self.network.coefs],
            "intercepts_": [bias.copy() for bias in self.network.intercepts],
        }

    def __call__(self, epoch):
        """End the epoch's sub-task; True if a callback asks to stop."""
        stop = self._epoch.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self._fitted_attributes,
            **self.data,
        )
        self.stopped = bool(stop)
        last = self.max_epochs is not None and self.n_begun >= self.max_epochs
        self._epoch = None if self.stopped or last else self._begin()
        return self.stopped

    def close(self):
        """End the sub-task begun for an epoch that did not run, if any."""
        if self._epoch is not None:
            self._epoch.call_on_fit_task_end(estimator=self.estimator)
            self._epoch = None


@contextmanager
def fit_task(estimator, X, y, sample_weight, *, max_epochs, epoch_name="epoch"):
    """The estimator's fit as a callback task; yields a maker of the epoch hook.

    Opens the fit's context (``_init_callback_context``, begin hook) and
    ends it after the body, as scikit-learn's estimators do; the teardown is
    left to ``_fit_context``. Without callbacks (or callback support) it
    opens nothing and the maker returns None: the core then calls no hook.
    """
    if not (HAS_CALLBACKS and has_callbacks(estimator)):
        yield lambda network: None
        return
    # One sub-task per epoch: max_epochs at most, the one begun for an epoch
    # that never ran included (it is begun only below max_epochs), so that a
    # progress bar's total is max_iter.
    context = estimator._init_callback_context(max_subtasks=max(max_epochs, 1))
    metadata = {"sample_weight": sample_weight} if sample_weight is not None else None
    context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    hooks = []

    def make_hook(network):
        for earlier in hooks:  # a fit retried (numba's cache) ends its epoch
            earlier.close()
        hook = EpochContexts(
            context, estimator, network, X, y, metadata, epoch_name, max_epochs
        )
        hooks.append(hook)
        return hook

    try:
        yield make_hook
    finally:
        for hook in hooks:
            hook.close()
    context.call_on_fit_task_end(
        estimator=estimator, X=X, y=y, metadata=metadata, reconstruction_attributes={}
    )


@contextmanager
def sub_fit(context, caller, sub_estimator, X=None, y=None):
    """A meta-estimator's leaf task fitting ``sub_estimator`` (None: no context).

    As scikit-learn's ``_fit_and_score``: the context and the
    auto-propagated callbacks pass to ``sub_estimator`` for the fit.
    """
    if context is None:
        yield
        return
    with context.propagate_callback_context(sub_estimator):
        context.call_on_fit_task_begin(estimator=caller, X=X, y=y)
        yield
    context.call_on_fit_task_end(estimator=caller, X=X, y=y)
