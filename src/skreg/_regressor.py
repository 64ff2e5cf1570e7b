"""MLPRegularizedRegressor."""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import BaseMLPRegularized, _check_solver, fill_shared_docs


@fill_shared_docs
class MLPRegularizedRegressor(RegressorMixin, BaseMLPRegularized):
    """Multilayer perceptron regressor with L1 and L2 penalties on weights and biases.

    %(shared_objective)s

    with :math:`\\ell_i = \\frac{1}{2K} \\sum_{k=1}^{K} (\\hat{y}_{ik} -
    y_{ik})^2` half the squared error averaged over the :math:`K` outputs (as
    scikit-learn's MLPRegressor) and :math:`s_i` the sample weights. The
    output layer is linear.

    Parameters
    ----------
    %(shared_parameters)s

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
    >>> np.round(model.coefs_[0].ravel(), 2)
    array([ 1.5, -2. ,  0. , -0. ,  0.5])
    """

    # The parameters are the base's, so is __init__: nothing to repeat here.

    def _prepare_targets(
        self, X, y, sample_weight, *, first_call, incremental, classes
    ):
        y = y.astype(X.dtype, copy=False)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return y, Y, sample_weight, "squared_error"

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
