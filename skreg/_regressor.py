"""MLPRegularizedRegressor."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import BaseMLPRegularized, _check_solver
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

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        l1_weight=0.0,
        l1_bias=0.0,
        l2_weight=0.0,
        l2_bias=0.0,
        group_l1_weight=0.0,
        l1_method="subgradient",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        engine="auto",
        loss="squared_error",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            l1_weight=l1_weight,
            l1_bias=l1_bias,
            l2_weight=l2_weight,
            l2_bias=l2_bias,
            group_l1_weight=group_l1_weight,
            l1_method=l1_method,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            engine=engine,
        )
        self.loss = loss

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
