"""The docstring parts both estimators share, written once.

The objective, the shared parameters and the shared attributes are inserted
into each estimator's docstring by :func:`fill_shared_docs`, so that a
parameter is documented in one place and both API pages show it. The parts
the registries decide are made from them: the objective's penalty terms and
the penalty parameters from :data:`~skreg._penalties.ESTIMATOR_PENALTIES`,
the ``solver`` choices from :data:`~skreg._optimizers.OPTIMIZERS`, and which
parameters only some solvers use from the optimizers'
``estimator_parameters``, so that a new penalty or optimizer documents
itself.
"""

import re

from ._base import FULL_BATCH_SOLVERS, SHARED_DEFAULTS
from ._optimizers import OPTIMIZERS
from ._penalties import ESTIMATOR_PENALTIES

#: The full-batch solver, which is not one of the stochastic OPTIMIZERS.
(LBFGS_SOLVER,) = FULL_BATCH_SOLVERS

SHARED_PARAMETERS_DOC = r"""
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer. An empty tuple gives a model
        with no hidden layer (a generalised linear model).

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

%(solver_and_penalties)s

    l1_method : {'subgradient', 'proximal'}, default='subgradient'
        How the L1 terms are minimised.

        - 'subgradient' adds their derived gradient
          :math:`\lambda_1\,\mathrm{sign}_+(w)` to the loss's gradient, as
          any other term. Weights shrink toward zero but keep oscillating
          around it: they end small, never exactly zero.
        - 'proximal' treats the non-smooth L1 terms exactly. 'sgd' and 'adam'
          step on the rest of the loss (data loss and L2 terms), then
          soft-threshold every L1-penalized weight and bias toward zero by its
          step size times its lambda (for 'sgd' the learning rate divided by
          ``1 - momentum``, the step its momentum settles to; for 'adam' the
          per-coordinate step of its metric,
          :math:`\eta \sqrt{1 - \beta_2^t} / (\sqrt{v} + \epsilon)`); one
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
        Learning-rate schedule: constant, decaying as
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the number of
        samples seen, or divided by 5 whenever the loss stops improving.

    learning_rate_init : float, default=0.001
        Initial step size of the stochastic solvers (all but 'lbfgs').

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the early-stopping split and the
        shuffling, drawn in that order. Every call to ``fit`` or
        ``partial_fit`` seeds its generator afresh (as scikit-learn), so an
        int makes each call repeatable bit for bit.

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
        Momentum, in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its score has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the weights with the best score are kept. The split is
        stratified for binary targets (as scikit-learn's). Stochastic solvers
        in ``fit`` only; ``partial_fit`` ignores it.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Numerical-stability constant, added to the root of the second-moment
        estimate.

    n_iter_no_change : int or np.inf, default=10
        Number of epochs without improvement of more than ``tol`` after which
        training stops (stochastic solvers); ``np.inf`` never stops early, so
        every call runs ``max_iter`` epochs.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    engine : {'auto', 'numpy', 'numba'}, default='auto'
        What computes training's element-wise passes. 'numpy' is the
        readable reference. 'numba' runs compiled kernels that fuse the bias
        with the activation, the activation's derivative with the delta, and
        the penalty's gradient with the optimizer's update and the proximal
        step (one pass over the parameters), for the same objective and
        gradients to rounding; it needs the optional dependency numba
        (``pip install "skreg[numba]"``) and compiles its kernels once, into
        numba's cache; a new process then spends about 0.5 s loading them.
        'auto' chooses per fit, from its size: 'numba' when numba is
        installed and the seconds its kernels would save on ``max_iter``
        epochs (estimated from the samples, units, parameters and
        mini-batch steps) exceed that load, else 'numpy', without importing
        numba; see :ref:`performance`. Predictions always use NumPy."""

SHARED_ATTRIBUTES_DOC = r"""
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
        last call, as in scikit-learn: by the last ``fit``, warm-started or
        not, so ``n_iter_ == max_iter`` means that call did not converge; 1
        after a ``partial_fit``. ``loss_curve_`` has an entry per epoch (or
        iteration) of every call.

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


SHARED_OBJECTIVE_DOC = r"""
    It minimises, over each mini-batch :math:`B` (the whole data set for
    'lbfgs'),

    .. math::

        \frac{\sum_{i \in B} s_i \ell_i}{\sum_{i \in B} s_i}
%(penalty_terms)s ,"""

#: What every penalty parameter's entry ends with.
PER_LAYER_DOC = """
        A float applies to every layer; a sequence gives one non-negative
        value per layer (``len(hidden_layer_sizes) + 1`` entries)."""

#: What a term lacking a capability is not available with.
MISSING_CAPABILITY_DOC = {
    "prox": "with ``l1_method='proximal'`` and a stochastic solver",
    "lbfgs_reformulations": (
        f"with ``solver='{LBFGS_SOLVER}'`` and ``l1_method='proximal'``"
    ),
}


def solver_doc():
    """The ``solver`` entry: the registry's optimizers, then L-BFGS."""
    choices = ", ".join(f"'{name}'" for name in [*OPTIMIZERS, LBFGS_SOLVER])
    optimizers = "".join(
        f"\n        - '{name}': {summary_line(cls.__doc__)}"
        for name, cls in OPTIMIZERS.items()
    )
    return f"""
    solver : {{{choices}}}, default={SHARED_DEFAULTS["solver"]!r}
        The optimizer:
{optimizers}
        - '{LBFGS_SOLVER}': Full-batch L-BFGS (scipy's L-BFGS-B)."""


def summary_line(docstring):
    """A class's docstring's first line."""
    return docstring.strip().splitlines()[0]


def penalty_doc(name, row):
    """A penalty parameter's entry: its row's text, per-layer values, limits."""
    limits = "".join(
        f"\n        Not available {where}."
        for capability, where in MISSING_CAPABILITY_DOC.items()
        if not row.term.smooth and not getattr(row.term, capability)
    )
    return (
        f"\n    {name} : float or sequence of float, "
        f"default={SHARED_DEFAULTS[name]!r}"
        f"{row.doc}{PER_LAYER_DOC}{limits}"
    )


def penalty_terms_doc():
    """The objective's penalty terms, one per line."""
    return "\n".join(f"        + {row.formula}" for row in ESTIMATOR_PENALTIES.values())


def solvers_using(name):
    """The stochastic solvers whose optimizer takes estimator parameter ``name``."""
    return [
        solver for solver, cls in OPTIMIZERS.items() if name in cls.estimator_parameters
    ]


def note_solver_parameters(text):
    """Say under each parameter only some optimizers take which solvers use it."""
    for name in dict.fromkeys(
        name for cls in OPTIMIZERS.values() for name in cls.estimator_parameters
    ):
        solvers = solvers_using(name)
        when = (
            f"solver='{solvers[0]}'"
            if len(solvers) == 1
            else "solver in {" + ", ".join(f"'{solver}'" for solver in solvers) + "}"
        )
        entry = re.compile(rf"(\n    {name} : .*?)(?=\n\n    \w+ :|\Z)", re.DOTALL)
        note = f"\n        Only used when {when}."
        text, found = entry.subn(lambda match, note=note: match.group(1) + note, text)
        if found != 1:
            raise RuntimeError(f"the shared parameters document {name} {found} times")
    return text


SHARED_DOCS = {
    "shared_objective": SHARED_OBJECTIVE_DOC % {"penalty_terms": penalty_terms_doc()},
    "shared_parameters": note_solver_parameters(
        SHARED_PARAMETERS_DOC
        % {
            "solver_and_penalties": solver_doc().removeprefix("\n")
            + "".join(
                "\n" + penalty_doc(name, row)
                for name, row in ESTIMATOR_PENALTIES.items()
            )
        }
    ),
    "shared_attributes": SHARED_ATTRIBUTES_DOC,
}


def fill_shared_docs(cls):
    """Insert the shared objective, Parameters and Attributes into a docstring."""
    for name, text in SHARED_DOCS.items():
        # The raw strings open with a newline, for readability.
        cls.__doc__ = cls.__doc__.replace(f"    %({name})s", text.removeprefix("\n"))
    return cls
