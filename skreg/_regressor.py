"""MLPRegularizedRegressor."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import (
    SHARED_DEFAULTS,
    BaseMLPRegularized,
    _check_solver,
    estimator_init,
)
from ._docs import fill_shared_docs
from ._functions import OUTPUT_ACTIVATION

#: The ``loss`` parameter's values, and the data loss of ``_functions.LOSSES``
#: that each one trains.
LOSS_OF_PARAMETER = {"squared_error": "squared_error", "poisson": "poisson"}


@fill_shared_docs
class MLPRegularizedRegressor(RegressorMixin, BaseMLPRegularized):
    r"""Multilayer perceptron regressor with L1 and L2 penalties on weights and biases.

    %(shared_objective)s

    with :math:`s_i` the sample weights and :math:`\ell_i` the loss of
    sample :math:`i`, by ``loss``:

    - 'squared_error': :math:`\ell_i = \frac{1}{2K} \sum_{k=1}^{K}
      (\hat{y}_{ik} - y_{ik})^2`, half the squared error averaged over the
      :math:`K` outputs, with a linear output layer;
    - 'poisson': :math:`\ell_i = \sum_{k=1}^{K} \big(y_{ik} \log
      (y_{ik} / \hat{y}_{ik}) - y_{ik} + \hat{y}_{ik}\big)`, half the
      Poisson deviance, with :math:`\hat{y} = e^{z}` of the output layer's
      :math:`z` (the log link), so predictions are positive: for counts and
      rates.

    Both are scikit-learn's MLPRegressor's data losses.

    Parameters
    ----------
    %(shared_parameters)s

    loss : {'squared_error', 'poisson'}, default='squared_error'
        The data loss, as above. 'poisson' needs non-negative targets.

    Attributes
    ----------
    %(shared_attributes)s

    See Also
    --------
    MLPRegularizedClassifier : The classifier with the same penalties.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP (L2 on weights only).

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import MLPRegularizedRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = X @ np.array([1.5, -2.0, 0.0, 0.0, 0.5])
    >>> model = MLPRegularizedRegressor(hidden_layer_sizes=(), solver="lbfgs",
    ...                                 l2_weight=1e-4, random_state=0).fit(X, y)
    >>> np.round(model.coefs_[0].ravel(), 2) + 0.0  # + 0.0: no sign on zeros
    array([ 1.5, -2. ,  0. ,  0. ,  0.5])
    """

    _parameter_constraints: dict = {
        **BaseMLPRegularized._parameter_constraints,
        "loss": [StrOptions(set(LOSS_OF_PARAMETER))],
    }

    __init__ = estimator_init({**SHARED_DEFAULTS, "loss": "squared_error"})

    def _prepare_targets(
        self, X, y, sample_weight, *, first_call, incremental, classes
    ):
        if sp.issparse(y):
            # The targets are (n_samples, n_outputs): small next to X, and the
            # training gathers their rows densely.
            y = y.toarray()
        with np.errstate(over="ignore"):
            y = y.astype(X.dtype, copy=False)
        if not np.all(np.isfinite(y)):
            # An object y holding None passes scikit-learn's check and becomes
            # NaN when converted to numbers.
            raise ValueError(
                "y contains NaN, infinity or a value too large for "
                f"{X.dtype.name} (None in an object array becomes NaN)."
            )
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                "loss='poisson' needs non-negative targets (counts or rates); "
                f"y has {np.count_nonzero(Y < 0)} negative values."
            )
        if not first_call and OUTPUT_ACTIVATION[
            LOSS_OF_PARAMETER[self.loss]
        ] != getattr(self, "out_activation_", None):
            raise ValueError(
                f"loss={self.loss!r} differs from the loss the model was "
                f"trained with (output function {self.out_activation_!r}); "
                "partial_fit continues one model: refit it with fit."
            )
        return y, Y, sample_weight, LOSS_OF_PARAMETER[self.loss]

    def _validation_score(self, outputs, y, sample_weight):
        if y.ndim == 1:
            outputs = outputs.ravel()
        return r2_score(y, outputs, sample_weight=sample_weight)

    @available_if(_check_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One-dimensional when the model has a single output.
        """
        outputs = self._outputs(self._validate_for_predict(X))
        return outputs.ravel() if self.n_outputs_ == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
