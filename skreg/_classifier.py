"""MLPRegularizedClassifier: labels, class weights and probabilities."""

from numbers import Real

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import column_or_1d

from ._base import (
    SHARED_DEFAULTS,
    BaseMLPRegularized,
    _check_solver,
    estimator_init,
)
from ._docs import fill_shared_docs
from ._functions import ACTIVATIONS, log_softmax
from ._warnings import warn


@fill_shared_docs
class MLPRegularizedClassifier(ClassifierMixin, BaseMLPRegularized):
    r"""Multilayer perceptron classifier with L1 and L2 penalties on weights and biases.

    %(shared_objective)s

    where :math:`\ell_i` is the log-loss of sample :math:`i` (softmax output
    for multiclass targets, one logistic unit for binary targets, independent
    logistic units for multilabel indicator targets) and :math:`s_i` its
    weight (``sample_weight`` times ``class_weight``).

    Parameters
    ----------
    %(shared_parameters)s

    class_weight : dict, 'balanced' or None, default=None
        Weights multiplying the sample weights of each class: a dict
        ``{label: weight}``, or 'balanced' for
        ``n_samples / (n_classes * np.bincount(y))``. Not available as
        'balanced' in ``partial_fit``, where the class frequencies are unknown.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multilabel targets, the indicator columns).

    %(shared_attributes)s

    See Also
    --------
    MLPRegularizedRegressor : The regressor with the same penalties.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP (L2 on weights only).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import MLPRegularizedClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     MLPRegularizedClassifier(hidden_layer_sizes=(16,), l1_weight=1e-4,
    ...                              l2_weight=1e-3, learning_rate_init=0.01,
    ...                              max_iter=500, random_state=0))
    >>> model.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    >>> model[-1].predict_proba(X_test[:2]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        **BaseMLPRegularized._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    __init__ = estimator_init({**SHARED_DEFAULTS, "class_weight": None})

    def _prepare_targets(
        self, X, y, sample_weight, *, first_call, incremental, classes
    ):
        if y.ndim == 2 and y.shape[1] == 1:
            # column_or_1d's own warning would point at this line, not the user's.
            warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().",
                DataConversionWarning,
            )
            y = column_or_1d(y)
        check_classification_targets(y)
        # The columns of a multilabel indicator matrix are its classes.
        multilabel = type_of_target(y) == "multilabel-indicator"
        if classes is not None and np.ndim(classes) != 1:
            raise ValueError(
                "classes must be a one-dimensional array-like of labels; got "
                f"an array of shape {np.shape(classes)}."
            )
        if incremental:
            # Raises when classes are missing on the first call or changed later.
            first_call = _check_partial_fit_first_call(self, classes) or first_call
        if first_call:
            # Sparse output: the one-hot matrix is then built once, directly
            # in X's dtype, without a dense integer copy of it first.
            binarizer = LabelBinarizer(sparse_output=True)
            binarizer.fit(y if classes is None or multilabel else classes)
            if binarizer.classes_.size < 2:
                # Nothing to learn, and predict_proba would give two columns
                # for the one class.
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes in y (or "
                    "in the classes passed to partial_fit); got one class: "
                    f"{binarizer.classes_.tolist()}."
                )
            if classes is not None and not multilabel:
                self._check_known_labels(
                    y, binarizer.classes_, "passed to partial_fit as classes"
                )
            if not incremental and self.warm_start and hasattr(self, "coefs_"):
                self._check_same_classes(binarizer)
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        elif not multilabel:
            self._check_known_labels(
                y, self.classes_, "given at the first call to partial_fit"
            )
        Y = self._label_binarizer.transform(y).astype(X.dtype).toarray()

        if self.class_weight is not None:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit, "
                    "which sees one batch at a time: pass a dict computed with "
                    "sklearn.utils.class_weight.compute_class_weight on a "
                    "representative sample of y."
                )
            if isinstance(self.class_weight, dict):
                self._check_class_weight_values()
            sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        loss = (
            "log_loss"
            if self._label_binarizer.y_type_ == "multiclass"
            else "binary_log_loss"
        )
        return y, Y, sample_weight, loss

    def _check_class_weight_values(self):
        """Raise unless every weight of the class_weight dict is finite and >= 0."""
        bad = {
            label: weight
            for label, weight in self.class_weight.items()
            if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0)
        }
        if bad:
            raise ValueError(
                "class_weight must map classes to finite non-negative weights; "
                f"got {bad!r}."
            )

    @staticmethod
    def _check_known_labels(y, classes, origin):
        """Raise before any training if y has labels outside ``classes``."""
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(
                f"y has labels {unseen.tolist()} that are not among the classes "
                f"{classes.tolist()} {origin}."
            )

    def _check_same_classes(self, binarizer):
        """Raise if a warm-started fit sees other classes than the model has.

        Its output units belong to the previous classes: reusing them for
        new labels (or new target types) would train a silently wrong model.
        """
        previous = self._label_binarizer
        if previous.y_type_ != binarizer.y_type_ or not np.array_equal(
            previous.classes_, binarizer.classes_
        ):
            raise ValueError(
                "warm_start can only be used where y has the same classes as "
                "in the previous call to fit. Previously got "
                f"{previous.classes_.tolist()} ({previous.y_type_}), y has "
                f"{binarizer.classes_.tolist()} ({binarizer.y_type_}). Set "
                "warm_start=False to fit the new classes from scratch."
            )

    def _split_stratify(self, y, Y):
        # As scikit-learn's MLPClassifier: by the encoded targets when they
        # are one column (binary), and not at all with several (multiclass,
        # multilabel). Its docstring promises stratified multiclass splits,
        # its code does not make them; stratifying would change the split,
        # and every epoch after it, for the same random_state.
        return Y if Y.shape[1] == 1 else None

    def _validation_score(self, outputs, y, sample_weight):
        return accuracy_score(y, self._decode(outputs), sample_weight=sample_weight)

    def _is_binary(self):
        return self._label_binarizer.y_type_ == "binary"

    def _decode(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    @available_if(_check_solver)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight=sample_weight, classes=classes)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._decode(self._outputs(self._validate_for_predict(X)))

    def decision_function(self, X):
        """The output layer's pre-activations (logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary targets, one score per sample: the log-odds of
            ``classes_[1]``. Otherwise one score per class (multiclass: the
            softmax's inputs; multilabel: each label's log-odds).
        """
        logits = self._logits(self._validate_for_predict(X))
        return logits.ravel() if self._is_binary() else logits

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one, except for multilabel targets, where each column
            is the probability of its label.
        """
        logits = self._logits(self._validate_for_predict(X))
        if self._is_binary():
            # expit(-z) rather than 1 - expit(z): no cancellation for large z.
            return np.hstack([expit(-logits), expit(logits)])
        ACTIVATIONS[self.out_activation_](logits)
        return logits

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(self._validate_for_predict(X))
        if self.out_activation_ == "softmax":
            return log_softmax(logits)
        # log(sigmoid(z)) = -log(1 + exp(-z)) and log(1 - sigmoid(z)) = -log(1 + exp(z))
        log_positive = -np.logaddexp(0, -logits)
        if self._is_binary():
            return np.hstack([-np.logaddexp(0, logits), log_positive])
        return log_positive

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
