"""The shared estimator: parameters, validation, and the training loops.

:class:`BaseMLPRegularized` holds everything the classifier and the regressor
share: the declarative parameter constraints, input validation, the
stochastic (sgd, adam) and full-batch (lbfgs) training loops, early stopping,
warm starts and ``partial_fit``. The numbers are computed by the engine
(:mod:`skreg._network`, :mod:`skreg._penalties`, :mod:`skreg._optimizers`).

Training works on a fresh parameter buffer (a copy when warm-starting) and a
copy of the optimizer state, and publishes them only when training succeeds;
if anything fails, the estimator's attributes are restored as they were, so
a model fitted earlier is never lost.
"""

import copy
import os
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from ._functions import ACTIVATIONS, DERIVATIVES, LOSSES, OUTPUT_ACTIVATION
from ._network import Network, forward, parameter_slices
from ._optimizers import AdamOptimizer, SGDOptimizer
from ._penalties import NetworkPenalty, OrthantL1, PenaltySegment, SplitL1
from ._sparsity import input_importances, layer_sparsity
from ._warnings import warn
from .exceptions import PenaltyCollapseWarning

#: 'auto' batch size: min(DEFAULT_BATCH_SIZE, n_samples).
DEFAULT_BATCH_SIZE = 200
#: lbfgs evaluates the full-batch loss this many rows at a time.
LBFGS_CHUNK_ROWS = 2048
STOCHASTIC_SOLVERS = ("sgd", "adam")
#: L-BFGS-B's relative-decrease tolerance: small enough that ``tol`` (the
#: projected gradient) decides when to stop.
LBFGS_FTOL = 64 * np.finfo(np.float64).eps
#: L-BFGS-B's status when its line search finds no lower point: after the
#: orthant polish, the solution is then as precise as the line search allows.
LBFGS_STALLED = 2
#: lbfgs with l1_method='proximal': at most this many orthant polishes after
#: the split (each releases the zeros whose optimality condition fails).
MAX_ORTHANT_ROUNDS = 10
PENALTY_PARAMETERS = ("l1_weight", "l1_bias", "l2_weight", "l2_bias")

SHARED_PARAMETERS_DOC = """\
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer. An empty tuple gives a model
        with no hidden layer (a generalised linear model).

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    solver : {'sgd', 'adam', 'lbfgs'}, default='adam'
        The optimizer: stochastic gradient descent with momentum, Adam, or
        full-batch L-BFGS (scipy's L-BFGS-B).

    l1_weight : float or sequence of float, default=0.0
        :math:`\\lambda_{1,W}`: strength of the penalty
        :math:`\\lambda_{1,W} \\sum |W|` on the weights, with gradient
        :math:`\\lambda_{1,W}\\,\\mathrm{sign}_+(W)` (+1 at zero). A float
        applies to every layer; a sequence gives one non-negative value per
        layer (``len(hidden_layer_sizes) + 1`` entries).

    l1_bias : float or sequence of float, default=0.0
        :math:`\\lambda_{1,b}`: the same L1 penalty on the biases.

    l2_weight : float or sequence of float, default=0.0
        :math:`\\lambda_{2,W}`: strength of :math:`\\lambda_{2,W} \\sum W^2`
        on the weights, with gradient :math:`2 \\lambda_{2,W} W`. Unlike
        scikit-learn's ``alpha`` there is no factor 1/2 and no division by the
        batch size: ``alpha = 2 * batch_size * l2_weight`` is the equivalent.

    l2_bias : float or sequence of float, default=0.0
        :math:`\\lambda_{2,b}`: the same L2 penalty on the biases.

    l1_method : {'subgradient', 'proximal'}, default='subgradient'
        How the L1 terms are minimised.

        - 'subgradient' adds their derived gradient
          :math:`\\lambda_1\\,\\mathrm{sign}_+(w)` to the loss's gradient, as
          any other term. Weights shrink toward zero but keep oscillating
          around it: they end small, never exactly zero.
        - 'proximal' treats the non-smooth L1 terms exactly. 'sgd' and 'adam'
          step on the rest of the loss (data loss and L2 terms), then
          soft-threshold every L1-penalized weight and bias toward zero by its
          step size times its lambda (for 'sgd' the learning rate divided by
          ``1 - momentum``, the step its momentum settles to; for 'adam' the
          per-coordinate step :math:`\\eta_t / (\\sqrt{v} + \\epsilon)`); one
          that would cross zero lands exactly on it. 'lbfgs' writes each
          penalized parameter as the difference of two non-negative parts and
          minimises the then smooth loss under bounds (L-BFGS-B), reaching
          the exact minimum, zeros included.

        Use 'proximal' to read off what the L1 penalty removed (exact zeros:
        see :meth:`sparsity`, ``feature_importances_`` and
        :class:`~sklearn.feature_selection.SelectFromModel`), to prune inputs
        or units, or to reach the exact optimum of a convex model
        (``hidden_layer_sizes=()``, e.g. the Lasso); with 'lbfgs' and an L1
        lambda, prefer it, since L-BFGS is not made for the kink at zero.
        Keep 'subgradient' to follow the derived gradient itself. Without any
        L1 lambda both methods give identical results.

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``. Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of 'sgd': constant, decaying as
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the number of
        samples seen, or divided by 5 whenever the loss stops improving.

    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the early-stopping
        split. An int makes ``fit`` repeatable bit for bit.

    tol : float, default=1e-4
        Improvement of the loss (or validation score) below which an epoch
        counts as no improvement; for 'lbfgs', the gradient tolerance.

    verbose : bool, default=False
        Print one line per epoch: total loss, data loss, penalty and, with
        early stopping, the validation score.

    warm_start : bool, default=False
        Start ``fit`` from the previous solution instead of a new
        initialisation.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its score has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the weights with the best score are kept. Stochastic solvers
        only.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int or np.inf, default=10
        Number of epochs without improvement of more than ``tol`` after which
        training stops (stochastic solvers); ``np.inf`` never stops early, so
        every call runs ``max_iter`` epochs.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'."""

SHARED_ATTRIBUTES_DOC = """\
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        Weight matrix of each layer; a layer computes ``X @ W + b``.

    intercepts_ : list of ndarray of shape (fan_out,)
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Euclidean norm of each input's first-layer weight row: exactly zero
        for the inputs the L1 penalty removed (with
        ``l1_method='proximal'``). ``SelectFromModel(model, threshold=1e-12)``
        keeps exactly the other inputs (its default threshold, the mean
        importance, would keep only the more important ones). After sgd or
        adam, the last mini-batch steps can leave a few weak inputs with
        small nonzero rows; lbfgs, or a threshold above that noise, selects
        more strictly.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (stochastic solvers) or iterations (lbfgs) run by the
        last call to ``fit``, warm-started or not, as in scikit-learn: so
        ``n_iter_ == max_iter`` means that call did not converge.
        ``partial_fit`` adds one per call, counting from the last ``fit``.

    t_ : int
        Number of training samples seen by the solver over all calls (for
        lbfgs, the number of loss evaluations times the number of samples).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Output function: 'identity', 'logistic' or 'softmax'.

    loss_ : float
        Total loss (data loss plus penalty) at the end of training.

    loss_curve_ : list of float
        Total loss per epoch (lbfgs: per iteration), averaged over the epoch's
        mini-batches weighted by their sample weights.

    penalty_curve_ : list of float
        The penalty part of each entry of ``loss_curve_``; the data loss is
        the difference.

    best_loss_ : float or None
        Lowest entry of ``loss_curve_`` (stochastic solvers without early
        stopping), else None.

    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        With early stopping, the penalized objective on the held-out data at
        the end of each epoch (its data loss, weighted by the held-out sample
        weights, plus the penalty), to plot against ``loss_curve_``; else
        None.

    validation_penalty_curve_ : list of float or None
        The penalty part of each entry of ``validation_loss_curve_`` (the
        penalty of the weights at the end of the epoch); the held-out data
        loss is the difference. None without early stopping.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None."""


SHARED_OBJECTIVE_DOC = """\
    It minimises, over each mini-batch :math:`B` (the whole data set for
    'lbfgs'),

    .. math::

        \\frac{\\sum_{i \\in B} s_i \\ell_i}{\\sum_{i \\in B} s_i}
        + \\lambda_{1,W} \\sum |W| + \\lambda_{1,b} \\sum |b|
        + \\lambda_{2,W} \\sum W^2 + \\lambda_{2,b} \\sum b^2 ,"""

SHARED_DOCS = {
    "shared_objective": SHARED_OBJECTIVE_DOC,
    "shared_parameters": SHARED_PARAMETERS_DOC,
    "shared_attributes": SHARED_ATTRIBUTES_DOC,
}


def fill_shared_docs(cls):
    """Insert the shared objective, Parameters and Attributes into a docstring."""
    for name, text in SHARED_DOCS.items():
        cls.__doc__ = cls.__doc__.replace(f"    %({name})s", text)
    return cls


def single_threaded_foreign_blas():
    """Limit every BLAS library but NumPy's to one thread, as a context manager.

    L-BFGS-B does its vector algebra with scipy's BLAS, which pip wheels ship
    as a library of its own, next to NumPy's that computes the network's
    matrix products. Each keeps a pool of threads that spin for a while after
    their work: alternating between the two makes the pools fight over the
    cores (a fit several times slower on two cores). scipy's calls are on
    vectors the size of the parameters, so one thread is all they need.

    Returns
    -------
    limiter : context manager
        A no-op when NumPy's BLAS is the only one loaded.
    """
    numpy_folder = os.path.dirname(np.__file__)
    controller = ThreadpoolController()
    foreign = [
        library.filepath
        for library in controller.select(user_api="blas").lib_controllers
        if not library.filepath.startswith(
            (numpy_folder + os.sep, numpy_folder + ".libs")
        )
    ]
    return controller.select(filepath=foreign).limit(limits=1)


def per_layer_strengths(name, value, n_layers):
    """Turn a penalty parameter into one non-negative float per layer.

    Parameters
    ----------
    name : str
        The parameter's name, for error messages.
    value : float or sequence of float
    n_layers : int
        Number of weight layers, ``len(hidden_layer_sizes) + 1``.

    Returns
    -------
    strengths : tuple of float of length n_layers

    Raises
    ------
    ValueError
        If a value is negative, NaN or infinite, or the sequence has the wrong
        length.
    """
    values = np.atleast_1d(np.asarray(value, dtype=object))
    expected = (
        f"{name} must be a non-negative float or a sequence of {n_layers} "
        f"non-negative floats (one per layer: len(hidden_layer_sizes) + 1)"
    )
    if values.ndim != 1 or (np.ndim(value) == 1 and len(values) != n_layers):
        raise ValueError(f"{expected}; got {value!r}.")
    try:
        strengths = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{expected}; got {value!r}.") from None
    if not np.all(np.isfinite(strengths)) or np.any(strengths < 0):
        raise ValueError(f"{expected}; got {value!r}.")
    if strengths.size == 1:
        strengths = np.repeat(strengths, n_layers)
    return tuple(float(strength) for strength in strengths)


def validate_numeric_data(estimator, X, y="no_validation", **check_params):
    """:func:`~sklearn.utils.validation.validate_data`, quiet on large numbers.

    A Python integer beyond the float64 range (in an object array) makes the
    conversion raise OverflowError; it is reported as a ValueError, like any
    other non-finite input. Finite values whose sum overflows (say +1e308 and
    -1e308) no longer raise a RuntimeWarning from the finiteness check's fast
    path, which then checks element by element.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(estimator, X, y, **check_params)
    except OverflowError as error:
        raise ValueError(
            f"Input contains a number too large for float64 ({error})."
        ) from None


class MiniBatches:
    """The mini-batches of an epoch, gathered into buffers reused every time.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    batch_size : int
    shuffle : bool
        Draw a new order of the samples at each epoch; otherwise the batches
        are consecutive slices (views, no copy).
    """

    def __init__(self, X, Y, sample_weight, batch_size, shuffle):
        self.X, self.Y, self.batch_size, self.shuffle = X, Y, batch_size, shuffle
        self.sample_weight = sample_weight.astype(Y.dtype, copy=False)
        self.total_weight = float(self.sample_weight.sum())
        n_samples = X.shape[0]
        index_type = np.int32 if n_samples <= np.iinfo(np.int32).max else np.intp
        self.indices = np.arange(n_samples, dtype=index_type)
        self.gather = shuffle and not sp.issparse(X)
        if self.gather:
            self.X_batch = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        self.Y_batch = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)
        self.weight_batch = np.empty(batch_size, dtype=Y.dtype)

    def epoch(self, random_state):
        """Yield ``(X_part, Y_part, weights, batch_weight)`` for each batch.

        ``weights`` are the batch's sample weights normalized to sum to one,
        and ``batch_weight`` their sum before normalization; batches whose
        weights are all zero are skipped.
        """
        if self.shuffle:
            random_state.shuffle(self.indices)
        for batch in gen_batches(self.X.shape[0], self.batch_size):
            if self.shuffle:
                rows = self.indices[batch]
                size = rows.size
                # mode="clip": with the default, take copies through a
                # temporary buffer; the indices are valid anyway.
                if self.gather:
                    X_part = np.take(
                        self.X, rows, axis=0, out=self.X_batch[:size], mode="clip"
                    )
                else:
                    X_part = self.X[rows]
                Y_part = np.take(
                    self.Y, rows, axis=0, out=self.Y_batch[:size], mode="clip"
                )
                weights = np.take(
                    self.sample_weight, rows, out=self.weight_batch[:size], mode="clip"
                )
            else:
                X_part, Y_part = self.X[batch], self.Y[batch]
                weights = self.weight_batch[: Y_part.shape[0]]
                weights[...] = self.sample_weight[batch]
            batch_weight = float(weights.sum())
            if batch_weight == 0:
                continue
            weights /= batch_weight
            yield X_part, Y_part, weights, batch_weight


def _check_solver(estimator):
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic solvers "
            f"{STOCHASTIC_SOLVERS}, not solver={estimator.solver!r}."
        )
    return True


class BaseMLPRegularized(BaseEstimator, metaclass=ABCMeta):
    """Shared base of :class:`~skreg.MLPRegularizedClassifier` and
    :class:`~skreg.MLPRegularizedRegressor`. Not meant to be used directly.
    """

    _penalty_constraint = [Interval(Real, 0, None, closed="left"), "array-like"]
    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(DERIVATIVES))],
        "solver": [StrOptions({"sgd", "adam", "lbfgs"})],
        "l1_weight": _penalty_constraint,
        "l1_bias": _penalty_constraint,
        "l2_weight": _penalty_constraint,
        "l2_bias": _penalty_constraint,
        "l1_method": [StrOptions({"subgradient", "proximal"})],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.l1_weight = l1_weight
        self.l1_bias = l1_bias
        self.l2_weight = l2_weight
        self.l2_bias = l2_bias
        self.l1_method = l1_method
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ------------------------------------------------------------------
    # What the classifier and the regressor provide
    # ------------------------------------------------------------------
    @abstractmethod
    def _prepare_targets(
        self, X, y, sample_weight, *, first_call, incremental, classes
    ):
        """Validate the targets; return (y, Y, sample_weight, loss name).

        ``y`` is the validated target (labels for the classifier), ``Y`` the
        float matrix of shape (n_samples, n_outputs) the network fits, and
        ``sample_weight`` the sample weights, class weights included.
        """

    @abstractmethod
    def _validation_score(self, outputs, y, sample_weight):
        """Score of the network's outputs on held-out targets (higher is better)."""

    def _split_stratify(self, y):
        """Targets to stratify the early-stopping split by, or None."""
        return None

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the data loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_keeping_state_on_error(
            X, y, sample_weight, incremental=False, classes=None
        )

    def sparsity(self):
        """Count the exactly-zero weights and biases of each layer.

        With ``l1_method='proximal'`` the L1 penalty sets weights exactly to
        zero; this reports how many per layer, and how many of each layer's
        inputs (features, then hidden units) it cut off entirely.
        ``pandas.DataFrame(model.sparsity())`` shows it as a table, one row
        per layer.

        Returns
        -------
        sparsity : dict of str to ndarray of shape (`n_layers_` - 1,)
            One entry per layer, the first layer first:

            - ``'n_weights'``, ``'n_zero_weights'`` and
              ``'zero_weight_share'`` (their ratio): the layer's weights, and
              those exactly zero;
            - ``'n_biases'``, ``'n_zero_biases'`` and ``'zero_bias_share'``:
              the same for its biases;
            - ``'n_inputs'`` and ``'n_unused_inputs'``: the layer's inputs,
              and those whose outgoing weights are all zero (for the first
              layer, the features with ``feature_importances_ == 0``).

        Examples
        --------
        >>> import numpy as np
        >>> from skreg import MLPRegularizedRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 5))
        >>> y = X @ np.array([1.5, -2.0, 0.0, 0.0, 0.5])
        >>> model = MLPRegularizedRegressor(
        ...     hidden_layer_sizes=(), activation="identity", solver="lbfgs",
        ...     l1_weight=0.1, l1_method="proximal", random_state=0).fit(X, y)
        >>> np.round(model.coefs_[0].ravel(), 2)
        array([ 1.41, -1.87,  0.  ,  0.  ,  0.38])
        >>> model.sparsity()["n_zero_weights"]
        array([2])
        >>> model.feature_importances_ > 0
        array([ True,  True, False, False,  True])
        """
        check_is_fitted(self)
        return layer_sparsity(self.coefs_, self.intercepts_)

    @property
    def feature_importances_(self):
        """Euclidean norm of each input's first-layer weight row.

        Returns
        -------
        importances : ndarray of shape (`n_features_in_`,)
        """
        check_is_fitted(self)
        return input_importances(self.coefs_[0])

    @_fit_context(prefer_skip_nested_validation=True)
    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._fit_keeping_state_on_error(
            X, y, sample_weight, incremental=True, classes=classes
        )

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def _fit_keeping_state_on_error(self, X, y, sample_weight, *, incremental, classes):
        saved_state = self.__dict__.copy()
        try:
            self._fit(X, y, sample_weight, incremental=incremental, classes=classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise
        return self

    def _fit(self, X, y, sample_weight, *, incremental, classes):
        hidden_layer_sizes = self._hidden_layer_sizes()
        fitted = hasattr(self, "coefs_")
        first_call = not (incremental and fitted)
        continue_training = fitted and (incremental or self.warm_start)

        X, y = validate_numeric_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=first_call,
        )
        if sp.issparse(X):
            X = X.tocsr()
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        y, Y, sample_weight, loss = self._prepare_targets(
            X,
            y,
            sample_weight,
            first_call=first_call,
            incremental=incremental,
            classes=classes,
        )
        if not np.any(sample_weight > 0):
            raise ValueError(
                "sample_weight is zero for every sample (after class_weight): "
                "there is nothing to fit."
            )

        layer_sizes = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        penalty = self._penalty(layer_sizes)
        if first_call or not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        random_state = self._random_state

        network = Network(layer_sizes, self.activation, loss, X.dtype)
        if continue_training:
            network.set_parameters(self.coefs_, self.intercepts_)
        else:
            network.initialize(random_state)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self.penalty_curve_ = []
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.validation_penalty_curve_ = None
            self.best_validation_score_ = None
            self._optimizer = None
        self._prepare_progress(continue_training, incremental)
        if not incremental:
            # As scikit-learn: n_iter_ counts this call's epochs, so that
            # n_iter_ == max_iter still tells a warm-started fit did not converge.
            self.n_iter_ = 0

        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_sizes)
        self.out_activation_ = OUTPUT_ACTIVATION[loss]

        # Overflow during training ends as inf or NaN in the loss or the
        # weights, which _check_finite reports as one clear ValueError, rather
        # than as a RuntimeWarning at every step until then.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.solver == "lbfgs":
                self._train_lbfgs(network, penalty, X, Y, sample_weight)
            else:
                self._train_stochastic(
                    network, penalty, X, y, Y, sample_weight, incremental=incremental
                )
        self._warn_if_collapsed(network, penalty)
        self.coefs_ = network.coefs
        self.intercepts_ = network.intercepts

    def _warn_if_collapsed(self, network, penalty):
        """Warn when a layer's weights are all exactly zero after training.

        Such a layer passes nothing of its input on: the model predicts the
        same output for every sample. Only an L1 penalty (with
        ``l1_method='proximal'``) puts weights exactly at zero, so the
        message names the layers' ``l1_weight`` and says to lower it.
        """
        collapsed = [
            layer for layer, coef in enumerate(network.coefs) if not coef.any()
        ]
        if not collapsed:
            return
        strengths = per_layer_strengths("l1_weight", self.l1_weight, len(network.coefs))
        layers = ", ".join(
            f"layer {layer + 1} (l1_weight={strengths[layer]:g})" for layer in collapsed
        )
        warn(
            f"The penalty set every weight of {layers} exactly to zero: the "
            "model ignores its input and predicts the same output for every "
            "sample. Lower l1_weight for that layer (or the other lambdas "
            "on it). A warm-started fit from this model stays collapsed at "
            "weaker lambdas: refit it cold (warm_start=False).",
            PenaltyCollapseWarning,
        )

    def _prepare_progress(self, continue_training, incremental):
        """Set the stopping criterion's counters for this call.

        ``partial_fit`` carries them over from call to call. Every ``fit``
        starts them afresh, warm-started or not: a warm start reuses the
        weights, but its stopping test is about this call's epochs (a lambda
        path fitted from weak to strong penalties would otherwise stop after
        one epoch per value, its loss rising above the previous best).
        The curves (``loss_curve_``, ``validation_scores_``) keep growing.
        """
        if incremental and continue_training:
            if self.best_loss_ is None:
                self.best_loss_ = np.inf
            return
        self._no_improvement_count = 0
        if self.early_stopping and not incremental:
            if self.validation_scores_ is None:
                self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(isinstance(size, Integral) and size > 0 for size in sizes):
            raise ValueError(
                "hidden_layer_sizes must contain only positive integers; "
                f"got {self.hidden_layer_sizes!r}."
            )
        return [int(size) for size in sizes]

    def _penalty(self, layer_sizes):
        """The network's :class:`NetworkPenalty`, from the four lambdas."""
        n_layers = len(layer_sizes) - 1
        l1_weight, l1_bias, l2_weight, l2_bias = (
            per_layer_strengths(name, getattr(self, name), n_layers)
            for name in PENALTY_PARAMETERS
        )
        coef_slices, intercept_slices = parameter_slices(layer_sizes)
        segments = [
            PenaltySegment(part.start, part.stop, l1[layer], l2[layer])
            for slices, l1, l2 in (
                (coef_slices, l1_weight, l2_weight),
                (intercept_slices, l1_bias, l2_bias),
            )
            for layer, part in enumerate(slices)
        ]
        return NetworkPenalty(segments, intercept_slices[-1].stop)

    def _new_optimizer(self, network):
        if self.solver == "sgd":
            return SGDOptimizer(
                network.params.size,
                network.dtype,
                self.learning_rate_init,
                learning_rate=self.learning_rate,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
                power_t=self.power_t,
            )
        return AdamOptimizer(
            network.params.size,
            network.dtype,
            self.learning_rate_init,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _resolve_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(DEFAULT_BATCH_SIZE, n_samples)
        if self.batch_size > n_samples:
            warn(
                f"batch_size={self.batch_size} is larger than the number of "
                f"samples ({n_samples}); using batches of {n_samples}.",
                UserWarning,
            )
        return min(self.batch_size, n_samples)

    def _hold_out_validation(self, X, y, Y, sample_weight):
        """Split off ``validation_fraction`` of the data for early stopping.

        Returns
        -------
        X, X_val, y, y_val, Y, Y_val, sample_weight, sample_weight_val
            The training part and the validation part of each.
        """
        try:
            (X, X_val, y, y_val, Y, Y_val, sample_weight, sample_weight_val) = (
                train_test_split(
                    X,
                    y,
                    Y,
                    sample_weight,
                    random_state=self._random_state,
                    test_size=self.validation_fraction,
                    stratify=self._split_stratify(y),
                )
            )
        except ValueError as error:
            # Too few samples, or of some class, for the split; the error
            # speaks of train_test_split's parameters, not of ours.
            raise ValueError(
                "early_stopping cannot hold out validation_fraction="
                f"{self.validation_fraction} of the {X.shape[0]} samples "
                f"({error}). Add samples, change validation_fraction or "
                "set early_stopping=False."
            ) from None
        if X.shape[0] == 0 or not np.any(sample_weight > 0):
            raise ValueError(
                "early_stopping left no training sample with a positive "
                "weight; lower validation_fraction or add samples."
            )
        if X_val.shape[0] < 2:
            # One sample has no R^2 (a warning and a NaN score per epoch,
            # and the initial weights kept as the best).
            raise ValueError(
                "early_stopping holds out a single validation sample "
                f"(validation_fraction={self.validation_fraction}); its "
                "score needs at least 2. Add samples, raise "
                "validation_fraction or set early_stopping=False."
            )
        return X, X_val, y, y_val, Y, Y_val, sample_weight, sample_weight_val

    def _train_stochastic(
        self, network, penalty, X, y, Y, sample_weight, *, incremental
    ):
        optimizer = self._optimizer
        if (
            not incremental
            or optimizer is None
            or optimizer.n_parameters != network.params.size
            or optimizer.dtype != network.dtype
        ):
            optimizer = self._new_optimizer(network)
        else:
            # A copy, so that a failed partial_fit leaves the state untouched.
            optimizer = copy.deepcopy(optimizer)

        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            X, X_val, y, y_val, Y, Y_val, sample_weight, sample_weight_val = (
                self._hold_out_validation(X, y, Y, sample_weight)
            )
            # The held-out data loss is a weighted mean, as the training one.
            validation_weights = (sample_weight_val / sample_weight_val.sum()).astype(
                network.dtype, copy=False
            )

        n_samples = X.shape[0]
        batch_size = self._resolve_batch_size(n_samples)
        workspace = network.workspace(batch_size)
        # The penalty is done with its scratch before the optimizer needs it.
        penalty_scratch = optimizer.scratch
        proximal = self._proximal_l1(penalty)
        step_sizes = np.empty_like(network.params) if proximal else None
        batches = MiniBatches(X, Y, sample_weight, batch_size, self.shuffle)
        total_weight = batches.total_weight
        best_params = network.params.copy() if early_stopping else None
        loss_curve = list(self.loss_curve_)
        penalty_curve = list(self.penalty_curve_)
        validation_scores, validation_loss_curve, validation_penalty_curve = (
            None if curve is None else list(curve)
            for curve in (
                self.validation_scores_,
                self.validation_loss_curve_,
                self.validation_penalty_curve_,
            )
        )
        if early_stopping and validation_loss_curve is None:
            validation_loss_curve, validation_penalty_curve = [], []

        n_epochs = 1 if incremental else self.max_iter
        for _ in range(n_epochs):
            weighted_loss = weighted_penalty = 0.0
            for X_part, Y_part, weights, batch_weight in batches.epoch(
                self._random_state
            ):
                data_loss = network.loss_gradient(X_part, Y_part, weights, workspace)
                penalty_value = penalty.add_gradient(
                    network.params,
                    network.gradient,
                    penalty_scratch,
                    include_l1=not proximal,
                )
                if proximal:
                    # add_gradient left the L1 terms out of the value too.
                    penalty_value = penalty.value(network.params, penalty_scratch)
                optimizer.update(network.params, network.gradient)
                if proximal:
                    penalty.prox_l1(
                        network.params,
                        optimizer.step_size(out=step_sizes),
                        penalty_scratch,
                    )
                weighted_loss += batch_weight * data_loss
                weighted_penalty += batch_weight * penalty_value

            epoch_penalty = weighted_penalty / total_weight
            epoch_loss = weighted_loss / total_weight + epoch_penalty
            self._check_finite(network, epoch_loss, optimizer)
            self.n_iter_ += 1
            self.t_ += n_samples
            loss_curve.append(epoch_loss)
            penalty_curve.append(epoch_penalty)
            optimizer.iteration_ends(self.t_)

            message = f"Iteration {self.n_iter_}, loss = {epoch_loss:.8f}, "
            message += f"data loss = {epoch_loss - epoch_penalty:.8f}, "
            message += f"penalty = {epoch_penalty:.8f}"
            if early_stopping:
                logits = forward(
                    X_val, network.coefs, network.intercepts, self.activation
                )[-1]
                self._check_finite(network, epoch_loss, outputs=logits)
                outputs = logits.copy()
                ACTIVATIONS[self.out_activation_](outputs)
                score = self._validation_score(outputs, y_val, sample_weight_val)
                validation_scores.append(score)
                # The loss overwrites the logits with its gradient (unused).
                validation_penalty = penalty.value(network.params, penalty_scratch)
                validation_loss_curve.append(
                    LOSSES[network.loss](logits, Y_val, validation_weights)
                    + validation_penalty
                )
                validation_penalty_curve.append(validation_penalty)
                message += f", validation score = {score:.6f}"
                improved = score >= self.best_validation_score_ + self.tol
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    np.copyto(best_params, network.params)
            else:
                improved = epoch_loss <= self.best_loss_ - self.tol
                self.best_loss_ = min(self.best_loss_, epoch_loss)
            if self.verbose:
                print(message)

            self._no_improvement_count = (
                0 if improved else self._no_improvement_count + 1
            )
            if self._no_improvement_count > self.n_iter_no_change:
                measure = "Validation score" if early_stopping else "Training loss"
                stop_message = (
                    f"{measure} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if optimizer.trigger_stopping(stop_message, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
        else:
            if not incremental:
                warn(
                    f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )

        if early_stopping:
            np.copyto(network.params, best_params)
            self.best_loss_ = None
        self.loss_curve_ = loss_curve
        self.penalty_curve_ = penalty_curve
        self.validation_scores_ = validation_scores
        self.validation_loss_curve_ = validation_loss_curve
        self.validation_penalty_curve_ = validation_penalty_curve
        self.loss_ = loss_curve[-1]
        self._optimizer = optimizer

    def _train_lbfgs(self, network, penalty, X, Y, sample_weight):
        n_samples = X.shape[0]
        weights = (sample_weight / sample_weight.sum()).astype(network.dtype)
        # Full-batch loss in chunks: memory of one chunk, not of all rows.
        workspace = network.workspace(min(n_samples, LBFGS_CHUNK_ROWS))
        scratch = np.empty_like(network.params)
        accumulator = np.empty_like(network.params)
        last = {}
        # Proximal L1: L-BFGS-B minimises the smooth split of the L1 terms
        # under bounds. Otherwise nothing is split and the variables are theta.
        proximal = self._proximal_l1(penalty)
        split = SplitL1(penalty.segments if proximal else (), penalty.size)
        # tol decides when to stop (the projected gradient), or max_iter: the
        # test on the relative decrease of the loss (ftol) is set to the
        # rounding level, since scipy's default stops L-BFGS-B where it only
        # slows down (for the split, while the parts of a coordinate slide
        # to their bound), short of the exact zeros and of the optimum.
        options = {"gtol": self.tol, "ftol": LBFGS_FTOL}

        reformulation = split

        def objective(variables):
            reformulation.merge(variables, out=network.params)
            data_loss = network.loss_gradient_in_chunks(
                X, Y, weights, workspace, accumulator
            )
            last["penalty"] = penalty.value(
                network.params, scratch, include_l1=not proximal
            ) + reformulation.value(variables)
            penalty.add_gradient(
                network.params, network.gradient, scratch, include_l1=not proximal
            )
            last["loss"] = data_loss + last["penalty"]
            return last["loss"], reformulation.gradient(network.gradient)

        loss_curve = list(self.loss_curve_)
        penalty_curve = list(self.penalty_curve_)

        def record_iteration(theta):
            # L-BFGS-B calls back right after evaluating the accepted point.
            loss_curve.append(last["loss"])
            penalty_curve.append(last["penalty"])
            if self.verbose:
                print(
                    f"Iteration {len(loss_curve)}, loss = {last['loss']:.8f}, "
                    f"data loss = {last['loss'] - last['penalty']:.8f}, "
                    f"penalty = {last['penalty']:.8f}"
                )

        def minimize(max_iter, max_fun, **extra):
            return scipy.optimize.minimize(
                objective,
                reformulation.split(network.params),
                method="L-BFGS-B",
                jac=True,
                bounds=reformulation.bounds(),
                callback=record_iteration,
                options={**options, "maxiter": max_iter, "maxfun": max_fun, **extra},
            )

        n_iter = n_evaluations = 0
        with (
            np.errstate(over="ignore", invalid="ignore"),
            single_threaded_foreign_blas(),
        ):
            result = minimize(self.max_iter, self.max_fun)
            reformulation.merge(result.x, out=network.params)
            n_iter, n_evaluations = result.nit, result.nfev
            # Proximal L1: the split's solution, polished in its orthant
            # until every zero meets its optimality condition (OrthantL1),
            # within what is left of max_iter and max_fun.
            for round_ in range(MAX_ORTHANT_ROUNDS if proximal else 0):
                if not np.isfinite(result.fun):
                    break
                # The smooth part's gradient at the solution, in network.gradient.
                network.loss_gradient_in_chunks(X, Y, weights, workspace, accumulator)
                penalty.add_gradient(
                    network.params, network.gradient, scratch, include_l1=False
                )
                reformulation = OrthantL1(
                    penalty.segments, penalty.size, network.params, network.gradient
                )
                # A polish that stalls has reached the line search's precision.
                converged = round_ > 0 and result.get("status", 0) in (
                    0,
                    LBFGS_STALLED,
                )
                if (converged and reformulation.n_released == 0) or (
                    n_iter >= self.max_iter or n_evaluations >= self.max_fun
                ):
                    break
                result = minimize(
                    self.max_iter - n_iter, self.max_fun - n_evaluations, ftol=0.0
                )
                reformulation.merge(result.x, out=network.params)
                # With every variable fixed by its bounds scipy evaluates once
                # and reports no iteration count.
                n_iter += result.get("nit", 0)
                n_evaluations += result.get("nfev", 1)
        self._check_finite(network, result.fun)
        status = result.get("status", 0)
        if status != 0 and not (proximal and status == LBFGS_STALLED):
            warn(
                f"lbfgs failed to converge after {n_iter} iterations "
                f"(status={status}): {result.message}. Increase max_iter "
                "or max_fun, or scale the data.",
                ConvergenceWarning,
            )
        self.n_iter_ += n_iter
        self.t_ += n_evaluations * n_samples
        if not loss_curve or loss_curve[-1] != result.fun:
            loss_curve.append(float(result.fun))
            penalty_curve.append(penalty.value(network.params, scratch))
        self.loss_curve_ = loss_curve
        self.penalty_curve_ = penalty_curve
        self.loss_ = float(result.fun)
        self.best_loss_ = None

    def _proximal_l1(self, penalty):
        """Whether the L1 terms go through their proximal step (or split)."""
        return self.l1_method == "proximal" and penalty.has_l1

    def _check_finite(self, network, loss, optimizer=None, outputs=None):
        arrays = [network.params]
        if optimizer is not None:
            # Adam's second moment overflows (a gradient beyond 1e154) while
            # the weights stay finite; kept, it would freeze those weights.
            arrays.extend(optimizer.state_arrays())
        if outputs is not None:
            # Early stopping's validation outputs can overflow first.
            arrays.append(outputs)
        if not (np.isfinite(loss) and all(np.all(np.isfinite(a)) for a in arrays)):
            raise ValueError(
                "Training diverged: the loss, the weights, the optimizer's "
                "state or the outputs became infinite or NaN (solver="
                f"{self.solver!r}, learning_rate_init="
                f"{self.learning_rate_init}). The learning rate is likely too "
                "large for the scale of the inputs, the targets or the "
                "penalties: lower learning_rate_init, scale X (and y) with "
                "StandardScaler, or lower the lambdas. The previously fitted "
                "model, if any, is unchanged."
            )

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _validate_for_predict(self, X):
        check_is_fitted(self)
        return validate_numeric_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _logits(self, X):
        """Output pre-activations for validated X, shape (n_samples, n_outputs).

        Raises
        ------
        ValueError
            If an output overflowed to inf or NaN: finite inputs can still be
            too large for the network (say 1e300 times a weight above one),
            and a NaN would otherwise pass silently as a prediction.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            logits = forward(X, self.coefs_, self.intercepts_, self.activation)[-1]
        finite = np.isfinite(logits).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"The network's outputs overflowed to inf or NaN for "
                f"{np.count_nonzero(~finite)} of {finite.size} samples: their "
                "inputs are too large in magnitude. Scale X as the training "
                "data were scaled."
            )
        return logits

    def _outputs(self, X):
        """Network outputs (after the output function) for validated X."""
        outputs = self._logits(X)
        ACTIVATIONS[self.out_activation_](outputs)
        return outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
