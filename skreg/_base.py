"""The shared estimator: parameter constraints, validation, building the pieces.

:class:`BaseMLPRegularized` holds what the classifier and the regressor
share: the declarative parameter constraints, input validation, and
``fit``/``partial_fit``, which build the pieces (the network, its penalty, the
optimizer, the mini-batches, the stopping rule), call the training core
(:mod:`skreg._training`) and publish its result. The numbers are computed by
the engine (:mod:`skreg._network`, :mod:`skreg._penalties`,
:mod:`skreg._optimizers`).

Training works on a fresh parameter buffer (a copy when warm-starting) and a
copy of the optimizer state, and the result is published only when training
succeeds; if anything fails, the estimator's attributes are restored as they
were, so a model fitted earlier is never lost.
"""

import copy
import inspect
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, fit_task
from ._engines import (
    ENGINE_NAMES,
    FitWork,
    make_engine,
    recover_from_cache_failure,
)
from ._functions import ACTIVATIONS, DERIVATIVES, OUTPUT_ACTIVATION
from ._network import Network, forward, parameter_slices
from ._optimizers import OPTIMIZERS, SCHEDULES, make_optimizer
from ._penalties import ESTIMATOR_PENALTIES, NetworkPenalty, PenaltyEntry
from ._sparsity import compact_network, input_importances, layer_sparsity
from ._training import (
    MiniBatches,
    StoppingRule,
    TrainingDiverged,
    TrainStep,
    Validation,
    train_lbfgs,
    train_stochastic,
)
from ._warnings import warn
from .exceptions import PenaltyCollapseWarning

#: 'auto' batch size: min(DEFAULT_BATCH_SIZE, n_samples).
DEFAULT_BATCH_SIZE = 200
#: The full-batch solver, next to the stochastic ones of OPTIMIZERS.
FULL_BATCH_SOLVERS = ("lbfgs",)
SOLVERS = (*OPTIMIZERS, *FULL_BATCH_SOLVERS)
STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)
#: The estimators' penalty parameters, the rows of ESTIMATOR_PENALTIES.
PENALTY_PARAMETERS = tuple(ESTIMATOR_PENALTIES)
#: The parameters both estimators take, in their signatures' order, with
#: their defaults (scikit-learn's MLP's where it has the parameter); the
#: penalty parameters are the rows of ESTIMATOR_PENALTIES, 0.0 (no penalty)
#: by default. Each estimator's ``__init__`` is made from this table and its
#: own parameters (:func:`estimator_init`).
SHARED_DEFAULTS = {
    "hidden_layer_sizes": (100,),
    "activation": "relu",
    "solver": "adam",
    **dict.fromkeys(ESTIMATOR_PENALTIES, 0.0),
    "l1_method": "subgradient",
    "batch_size": "auto",
    "learning_rate": "constant",
    "learning_rate_init": 0.001,
    "power_t": 0.5,
    "max_iter": 200,
    "shuffle": True,
    "random_state": None,
    "tol": 1e-4,
    "verbose": False,
    "warm_start": False,
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "n_iter_no_change": 10,
    "max_fun": 15000,
    "engine": "auto",
}
#: The parameters that may also be passed by position, as scikit-learn's MLP
#: allows; the others are keyword-only.
POSITIONAL_PARAMETERS = ("hidden_layer_sizes", "activation")


def estimator_init(defaults, positional=POSITIONAL_PARAMETERS):
    """An estimator's ``__init__``, made from its table of parameters.

    scikit-learn's convention: ``__init__`` stores each parameter, as given,
    in the attribute of its name, and does nothing else; ``get_params``,
    ``clone`` and the estimator checks read the parameters' names from its
    signature. The signature made here is a real one
    (:func:`inspect.signature` and :func:`help` show it), so a parameter is
    declared once, in the table (a penalty in
    :data:`~skreg._penalties.ESTIMATOR_PENALTIES`), not in three signatures
    and a ``super()`` call where forgetting one is silent.

    Parameters
    ----------
    defaults : dict
        Parameter name -> default, in the signature's order.
    positional : tuple of str, default=POSITIONAL_PARAMETERS
        The leading parameters that may be passed by position.

    Returns
    -------
    __init__ : function
        Binds its arguments to the signature (a TypeError for an unknown or
        repeated one, as any function) and stores them.

    Examples
    --------
    >>> import inspect
    >>> class Model:
    ...     __init__ = estimator_init({"alpha": 1.0, "beta": None}, ("alpha",))
    >>> inspect.signature(Model)
    <Signature (alpha=1.0, *, beta=None)>
    >>> vars(Model(2.0))
    {'alpha': 2.0, 'beta': None}
    """
    kinds = {
        name: (
            inspect.Parameter.POSITIONAL_OR_KEYWORD
            if name in positional
            else inspect.Parameter.KEYWORD_ONLY
        )
        for name in defaults
    }
    signature = inspect.Signature(
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *(
                inspect.Parameter(name, kinds[name], default=default)
                for name, default in defaults.items()
            ),
        ]
    )

    def __init__(self, *args, **kwargs):
        try:
            arguments = signature.bind(self, *args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{type(self).__name__}.__init__() {error}") from None
        arguments.apply_defaults()
        for name in defaults:
            setattr(self, name, arguments.arguments[name])

    __init__.__signature__ = signature
    return __init__


#: Fitted curves of the held-out data, with early stopping.
VALIDATION_CURVES = (
    "validation_scores_",
    "validation_loss_curve_",
    "validation_penalty_curve_",
)


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


def checked_sample_weight(sample_weight, X):
    """scikit-learn's sample weight check, in X's dtype, naming an underflow.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        In X's dtype, finite and non-negative.
    """
    try:
        return _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
    except ValueError as error:
        if not _underflows(sample_weight, X.dtype):
            raise
        given = np.asarray(sample_weight, dtype=np.float64)
        raise ValueError(
            "sample_weight underflows to zero in X's dtype "
            f"{X.dtype.name} (its largest weight is {given.max():.3g}; the "
            f"dtype's smallest is {np.finfo(X.dtype).smallest_subnormal:.3g}): "
            "scale the weights up, since only their ratios matter."
        ) from error


def _underflows(sample_weight, dtype):
    """Whether valid positive weights all round to zero in ``dtype``."""
    if sample_weight is None:
        return False
    try:
        given = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    valid = np.all(np.isfinite(given)) and np.all(given >= 0) and np.any(given > 0)
    return bool(valid and not np.any(given.astype(dtype) > 0))


def scaled_sample_weight(sample_weight):
    r"""The sample weights scaled so that no sum of them overflows.

    The objective's data loss is a weighted *mean*,
    :math:`\sum_i w_i \ell_i / \sum_i w_i`, unchanged when every weight is
    multiplied by the same constant. Weights whose sum overflows (the
    largest finite floats, say) are divided by their maximum, so that every
    sum of them is at most ``n_samples``; other weights are returned as they
    are, so that their results stay bit for bit those of scikit-learn's MLP.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,)
        Finite, non-negative, not all zero.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
    """
    with np.errstate(over="ignore"):
        total = sample_weight.sum()
    if np.isfinite(total):
        return sample_weight
    return sample_weight / sample_weight.max()


def reject_booleans_as_numbers(estimator):
    """Raise if a parameter constrained to a numeric interval is a boolean.

    scikit-learn's :class:`~sklearn.utils._param_validation.Interval` takes
    ``True`` for the integer 1 (``bool`` is an ``int``): ``batch_size=True``
    would train with batches of one sample, ``max_iter=True`` for one epoch.
    A boolean there is a mistake, not a number.

    Parameters
    ----------
    estimator : BaseMLPRegularized

    Raises
    ------
    ValueError
        Naming the parameter.
    """
    for name, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        numeric = any(isinstance(constraint, Interval) for constraint in constraints)
        if numeric and isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"{name} must be a number, not a boolean; got {name}={value!r}."
            )


def _check_solver(estimator):
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic solvers "
            f"{STOCHASTIC_SOLVERS}, not solver={estimator.solver!r}."
        )
    return True


class BaseMLPRegularized(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
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
        "solver": [StrOptions(set(SOLVERS))],
        **dict.fromkeys(ESTIMATOR_PENALTIES, _penalty_constraint),
        "l1_method": [StrOptions({"subgradient", "proximal"})],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(SCHEDULES))],
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
        "engine": [StrOptions(set(ENGINE_NAMES))],
    }

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

    def _split_stratify(self, y, Y):
        """Targets to stratify the early-stopping split by, or None.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The validated targets.
        Y : ndarray of shape (n_samples, n_outputs)
            The targets as the network fits them.
        """
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
        # With scikit-learn >= 1.9 and callbacks set, the fit is a callback
        # task with one sub-task per epoch (lbfgs: iteration), as
        # LogisticRegression's; _fit_context tears the callbacks down.
        epoch_name = "epoch" if self.solver in OPTIMIZERS else "iteration"
        with fit_task(
            self, X, y, sample_weight, max_epochs=self.max_iter, epoch_name=epoch_name
        ) as hook:
            return self._fit_keeping_state_on_error(
                X, y, sample_weight, incremental=False, classes=None, epoch_hook=hook
            )

    def sparsity(self):
        """Count the exactly-zero weights and biases of each layer.

        With ``l1_method='proximal'`` the L1 penalties set weights exactly to
        zero, and the group penalty (``group_l1_weight``) whole rows; this
        reports how many per layer, how many of each layer's inputs
        (features, then hidden units) they cut off entirely, and how many
        units the network no longer needs (which :meth:`compact` drops).
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
              and those whose outgoing weights are all zero;
            - ``'n_units'`` and ``'n_removed_units'``: the layer's units, and
              those the output no longer depends on through other kept units,
              or that nothing of the input reaches (constants): the units
              :meth:`compact` drops (0 for the output layer).

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
        """Euclidean norm of each input's first-layer weights to the kept units.

        Zero exactly for the inputs the predictions do not depend on: a zero
        weight row, or weights only to units that :meth:`sparsity` counts as
        removed. ``SelectFromModel(model, threshold=1e-12)`` keeps the others.

        Returns
        -------
        importances : ndarray of shape (`n_features_in_`,)
        """
        check_is_fitted(self)
        return input_importances(self.coefs_)

    def compact(self):
        """A fitted copy with the removed hidden units dropped.

        The units :meth:`sparsity` counts as removed are dropped with their
        weights (constant units after adding their contribution to the next
        layer's biases), so the copy predicts the same, to rounding, with
        fewer parameters and ``hidden_layer_sizes`` set to the units kept.
        It takes the same inputs (a removed input keeps its zero row), so it
        replaces the model in a pipeline and exports to ONNX as any fitted
        model. Its optimizer state is not kept: a warm start or
        ``partial_fit`` from it starts the optimizer afresh.

        Returns
        -------
        compact : estimator
            A new fitted estimator of the same class.

        Examples
        --------
        >>> import numpy as np
        >>> from skreg import MLPRegularizedRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 6))
        >>> y = X[:, 0] - 2 * X[:, 1]
        >>> model = MLPRegularizedRegressor(
        ...     hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.01,
        ...     group_l1_weight=0.05, l1_method="proximal", max_iter=1000,
        ...     random_state=0).fit(X, y)
        >>> small = model.compact()
        >>> small.hidden_layer_sizes[0] < 16
        True
        >>> bool(np.allclose(small.predict(X), model.predict(X)))
        True
        """
        check_is_fitted(self)
        compact = copy.deepcopy(self)
        coefs, intercepts = compact_network(
            self.coefs_, self.intercepts_, self.activation
        )
        compact.coefs_, compact.intercepts_ = coefs, intercepts
        compact.hidden_layer_sizes = tuple(coef.shape[1] for coef in coefs[:-1])
        compact.__dict__.pop("_optimizer", None)
        return compact

    @_fit_context(prefer_skip_nested_validation=True)
    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._fit_keeping_state_on_error(
            X, y, sample_weight, incremental=True, classes=classes
        )

    # ------------------------------------------------------------------
    # Training: validate, build the pieces, call the core, publish
    # ------------------------------------------------------------------
    def _fit_keeping_state_on_error(
        self, X, y, sample_weight, *, incremental, classes, epoch_hook=None
    ):
        """Fit, or leave the estimator exactly as it was.

        The training core never writes the estimator, and the result is
        published only after it returns; what validation sets on the way
        (``n_features_in_``, ``classes_``) is restored here on any failure,
        and so are the random generators training draws from (the fitted
        one, and a ``RandomState`` passed as ``random_state``), so that the
        next call gives what it would have given without the failed one.
        A failure of numba's disk cache is retried once, from the same
        state, as :func:`~skreg._engines.recover_from_cache_failure` says.
        """
        saved_state = self.__dict__.copy()
        generators = {
            id(generator): (generator, generator.get_state())
            for generator in (self.__dict__.get("_random_state"), self.random_state)
            if isinstance(generator, np.random.RandomState)
        }
        for attempt in ("first", "after a failure of numba's cache"):
            try:
                self._fit(
                    X,
                    y,
                    sample_weight,
                    incremental=incremental,
                    classes=classes,
                    epoch_hook=epoch_hook,
                )
            except BaseException as error:
                self.__dict__.clear()
                self.__dict__.update(saved_state)
                for generator, state in generators.values():
                    generator.set_state(state)
                if attempt == "first" and recover_from_cache_failure(
                    error, self.engine
                ):
                    continue
                raise
            return self

    def _fit(self, X, y, sample_weight, *, incremental, classes, epoch_hook=None):
        """Validate, build the pieces, train, publish.

        ``epoch_hook(network)``, if given, returns the core's
        ``on_epoch_end`` for this network (or None): the callbacks' view of
        the epochs (:func:`~skreg._callbacks.fit_task`).
        """
        reject_booleans_as_numbers(self)
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
            y_numeric=is_regressor(self),
            dtype=(np.float64, np.float32),
            # Row-major: mini-batches gather rows, which costs about 100 times
            # more from a column-major array (a DataFrame's is); one copy here
            # at most, merged with any dtype conversion.
            order="C",
            reset=first_call,
        )
        if sp.issparse(X):
            X = X.tocsr()
        sample_weight = checked_sample_weight(sample_weight, X)
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
        sample_weight = scaled_sample_weight(sample_weight)

        layer_sizes = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        penalty = self._penalty(layer_sizes)
        proximal = self.l1_method == "proximal" and penalty.has_nonsmooth
        # Every call draws from random_state afresh, partial_fit's too (as
        # scikit-learn): with an int, each call is repeatable on its own.
        self._random_state = check_random_state(self.random_state)

        engine = make_engine(
            self.engine, self._fit_work(X.shape[0], layer_sizes, incremental)
        )
        self._warn_of_numpy_passes(engine, penalty)
        network = Network(layer_sizes, self.activation, loss, X.dtype, engine=engine)
        # Which engine trained, for the tests ('auto' resolves per fit).
        self._fitted_engine = engine.name
        if continue_training:
            network.set_parameters(self.coefs_, self.intercepts_)
        else:
            network.initialize(self._random_state)
        # The validation score decodes outputs with these during training.
        self.out_activation_ = OUTPUT_ACTIVATION[loss]
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_sizes)
        on_epoch_end = epoch_hook(network) if epoch_hook is not None else None

        # Overflow during training ends as inf or NaN in the loss or the
        # weights, which the core reports as TrainingDiverged, rather than as
        # a RuntimeWarning at every step until then.
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if self.solver in OPTIMIZERS:
                    result = self._train_stochastic(
                        network,
                        penalty,
                        X,
                        y,
                        Y,
                        sample_weight,
                        proximal=proximal,
                        incremental=incremental,
                        continue_training=continue_training,
                        on_epoch_end=on_epoch_end,
                    )
                else:
                    result = train_lbfgs(
                        network,
                        penalty,
                        X,
                        Y,
                        sample_weight,
                        max_iter=self.max_iter,
                        max_fun=self.max_fun,
                        tol=self.tol,
                        proximal=proximal,
                        first_iteration=(
                            len(self.loss_curve_) + 1 if continue_training else 1
                        ),
                        verbose=self.verbose,
                        on_epoch_end=on_epoch_end,
                    )
        except TrainingDiverged as diverged:
            raise ValueError(
                f"{diverged} (solver={self.solver!r}, learning_rate_init="
                f"{self.learning_rate_init}). The learning rate is likely too "
                "large for the scale of the inputs, the targets or the "
                "penalties: lower learning_rate_init, scale X (and y) with "
                "StandardScaler, or lower the lambdas. The previously fitted "
                "model, if any, is unchanged."
            ) from None
        self._publish(network, result, continue_training, incremental)
        # A search's budgeted warm start (skreg/_search.py sets the private
        # flag on its own copy, with max_iter lowered to the budget) that
        # stops at its budget has not failed: it is scored as such, and the
        # search continues the leading candidates to convergence.
        budget_reached = False
        if getattr(self, "_max_iter_is_budget", False):
            budget_reached = not result.converged and result.n_iter >= self.max_iter
            self._budget_reached = budget_reached
        if not (result.converged or incremental or budget_reached):
            warn(result.stop_reason, ConvergenceWarning)
        self._warn_if_collapsed(network)

    def _train_stochastic(
        self,
        network,
        penalty,
        X,
        y,
        Y,
        sample_weight,
        *,
        proximal,
        incremental,
        continue_training,
        on_epoch_end=None,
    ):
        """Build the step, the batches, the stopping rule; run the core's loop."""
        optimizer = getattr(self, "_optimizer", None) if continue_training else None
        # partial_fit resumes the optimizer's state; a warm-started fit
        # restarts it, as scikit-learn's, unless a search set the private
        # flag on its own copy (skreg/_search.py: a warm start along a path).
        resume = incremental or getattr(self, "_resume_optimizer", False)
        if (
            not resume
            or optimizer is None
            or optimizer.n_parameters != network.params.size
            or optimizer.dtype != network.dtype
        ):
            optimizer = make_optimizer(
                self.solver, network.params.size, network.dtype, self.get_params()
            )
        else:
            # A copy, so that a failed partial_fit leaves the state untouched.
            optimizer = copy.deepcopy(optimizer)

        validation = None
        if self.early_stopping and not incremental:
            X, X_val, y, y_val, Y, Y_val, sample_weight, sample_weight_val = (
                self._hold_out_validation(X, y, Y, sample_weight)
            )
            validation = Validation(
                X_val,
                y_val,
                Y_val,
                sample_weight_val,
                self._validation_score,
                self.out_activation_,
            )
        batch_size = self._resolve_batch_size(X.shape[0])
        step = TrainStep(network, penalty, optimizer, batch_size, proximal)
        batches = MiniBatches(X, Y, sample_weight, batch_size, self.shuffle)
        # partial_fit carries the stopping rule over from call to call. Every
        # fit starts it afresh, warm-started or not: a warm start reuses the
        # weights, but its stopping test is about this call's epochs (a lambda
        # path would otherwise stop after one epoch per value).
        carry_over = incremental and continue_training
        stopping = StoppingRule(
            self.tol,
            self.n_iter_no_change,
            maximize=validation is not None,
            best=self.best_loss_ if carry_over else None,
            count=self._no_improvement_count if carry_over else 0,
        )
        return train_stochastic(
            step,
            batches,
            stopping,
            max_epochs=1 if incremental else self.max_iter,
            random_state=self._random_state,
            samples_seen=self.t_ if continue_training else 0,
            first_epoch=(len(self.loss_curve_) + 1) if carry_over else 1,
            validation=validation,
            verbose=self.verbose,
            on_epoch_end=on_epoch_end,
        )

    def _publish(self, network, result, continue_training, incremental):
        """Write the trained network and the result to the fitted attributes.

        ``n_iter_`` counts this call's epochs, as scikit-learn's: so
        ``n_iter_ == max_iter`` still says a warm-started fit did not
        converge, and it is 1 after every ``partial_fit``. ``t_`` and the
        curves run over all calls of a warm-started or incremental model.
        """
        self.n_iter_ = result.n_iter
        self.t_ = (self.t_ if continue_training else 0) + result.n_samples_seen
        self.loss_curve_ = self._extended(
            "loss_curve_", result.loss_curve, continue_training
        )
        self.penalty_curve_ = self._extended(
            "penalty_curve_", result.penalty_curve, continue_training
        )
        validated = result.stopping is not None and result.stopping.maximize
        for name in VALIDATION_CURVES:
            part = getattr(result, name.removesuffix("_"))
            if validated:
                setattr(self, name, self._extended(name, part, continue_training))
            elif not continue_training:
                setattr(self, name, None)
        if validated:
            self.best_validation_score_ = result.stopping.best
        elif not continue_training:
            self.best_validation_score_ = None
        stochastic_loss = result.stopping is not None and not validated
        self.best_loss_ = result.stopping.best if stochastic_loss else None
        self._no_improvement_count = result.stopping.count if result.stopping else 0
        self._optimizer = result.optimizer
        self.loss_ = result.final_loss
        self.coefs_ = network.coefs
        self.intercepts_ = network.intercepts

    def _extended(self, name, part, continue_training):
        """A fitted curve continued by this call's ``part``, or ``part`` afresh."""
        earlier = getattr(self, name, None) if continue_training else None
        return list(earlier or []) + list(part)

    def _warn_of_numpy_passes(self, engine, penalty):
        """Say which passes of a compiled engine's step run in NumPy, if any.

        The numba engine fuses the penalty and the update in one kernel for
        the terms and optimizers it declares (:meth:`~skreg._engines.Engine.
        numpy_passes`); for anything else the step runs NumPy's passes,
        which the user, who asked for compiled code (``engine='numba'``),
        is told, by parameter. ``engine='auto'`` promises no engine, so it
        says nothing (its choice weighs the fit's size, not its terms).
        """
        if self.solver not in OPTIMIZERS or self.engine != "numba":
            return
        missing = engine.numpy_passes(penalty, OPTIMIZERS[self.solver])
        if missing:
            warn(
                "engine='numba' has no "
                f"fused kernel for {', '.join(missing)}: the penalty and "
                "update passes of this fit run in NumPy (the forward and "
                "backward passes stay compiled).",
                UserWarning,
            )

    def _warn_if_collapsed(self, network):
        """Warn when a layer's weights are all exactly zero after training.

        Such a layer passes nothing of its input on: the model predicts the
        same output for every sample. Only a non-smooth penalty (with
        ``l1_method='proximal'``) puts weights exactly at zero, so the
        message names the layers' non-smooth weight penalties (the rows of
        ``ESTIMATOR_PENALTIES`` with a non-smooth term on the weights) and
        says to lower them.
        """
        n_layers = len(network.coefs)
        collapsed = [
            layer for layer, coef in enumerate(network.coefs) if not coef.any()
        ]
        if not collapsed:
            return
        strengths = {
            name: per_layer_strengths(name, getattr(self, name), n_layers)
            for name, row in ESTIMATOR_PENALTIES.items()
            if not row.term.smooth and row.parameters == "weights"
        }

        def lambdas(layer):
            named = [
                f"{name}={values[layer]:g}"
                for name, values in strengths.items()
                if values[layer] > 0
            ]
            return ", ".join(named) or "no non-smooth lambda"

        layers = ", ".join(
            f"layer {layer + 1} ({lambdas(layer)})" for layer in collapsed
        )
        names = " or ".join(strengths)
        warn(
            f"The penalty set every weight of {layers} exactly to zero: the "
            "model ignores its input and predicts the same output for every "
            f"sample. Lower {names} for that layer (or the other lambdas "
            "on it). A warm-started fit from this model stays collapsed at "
            "weaker lambdas: refit it cold (warm_start=False).",
            PenaltyCollapseWarning,
        )

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, np.ndarray) and sizes.ndim == 0:
            sizes = sizes.item()
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(
            isinstance(size, Integral)
            and not isinstance(size, (bool, np.bool_))
            and size > 0
            for size in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must contain only positive integers; "
                f"got {self.hidden_layer_sizes!r}."
            )
        return [int(size) for size in sizes]

    def _penalty(self, layer_sizes):
        """The network's :class:`~skreg._penalties.NetworkPenalty`, from the lambdas.

        Each row of :data:`~skreg._penalties.ESTIMATOR_PENALTIES` puts one
        term, with one lambda per layer, on each layer's weights or biases.
        """
        n_layers = len(layer_sizes) - 1
        weight_slices, bias_slices = parameter_slices(layer_sizes)
        shapes = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
        # Each layer's slice, with its shape (the weights' matrix, for the
        # terms that act on its rows).
        parts = {
            "weights": list(zip(weight_slices, shapes, strict=True)),
            "biases": [(part, (part.stop - part.start,)) for part in bias_slices],
        }
        entries = [
            PenaltyEntry(
                part.start, part.stop, row.term, strength, shape=shape, parameter=name
            )
            for name, row in ESTIMATOR_PENALTIES.items()
            for (part, shape), strength in zip(
                parts[row.parameters],
                per_layer_strengths(name, getattr(self, name), n_layers),
                strict=True,
            )
        ]
        return NetworkPenalty(entries, bias_slices[-1].stop)

    def _fit_work(self, n_samples, layer_sizes, incremental):
        """The most element-wise work this call may do, which engine='auto' weighs.

        Parameters
        ----------
        n_samples : int
        layer_sizes : list of int
            Inputs, hidden layers, outputs.
        incremental : bool
            ``partial_fit``: one epoch.

        Returns
        -------
        work : FitWork
        """
        n_parameters = sum(
            (fan_in + 1) * fan_out
            for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        )
        n_passes = 1 if incremental else self.max_iter
        n_steps = 0
        if self.solver in OPTIMIZERS:
            size = DEFAULT_BATCH_SIZE if self.batch_size == "auto" else self.batch_size
            n_steps = n_passes * -(-n_samples // min(size, n_samples))
        return FitWork(
            n_samples=n_samples,
            n_units=sum(layer_sizes[1:]),
            n_parameters=n_parameters,
            n_passes=n_passes,
            n_steps=n_steps,
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
                    stratify=self._split_stratify(y, Y),
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
        if not np.any(sample_weight_val > 0):
            # A weighted score of no weight is undefined (scikit-learn's
            # metrics raise on it, each epoch).
            raise ValueError(
                "early_stopping held out only samples of zero weight: the "
                "validation score is undefined. Give the held-out samples "
                "weight (shuffle the data so that weighted samples are spread), "
                "raise validation_fraction or set early_stopping=False."
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
