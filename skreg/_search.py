"""Grid search over the lambdas, warm-starting along penalty paths.

:class:`WarmStartGridSearchCV` is scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` with one change: how the
candidates of a fold are fitted. GridSearchCV clones and fits every
candidate from scratch; here the candidates that differ only in their
penalties (``l1_weight``, ``l1_bias``, ``l2_weight``, ``l2_bias``) form a
*chain*, fitted in one task per fold, where each candidate but the first
starts from the solution of a weaker neighbour (``warm_start=True``).

How a chain is ordered
----------------------
Each candidate's penalty is a vector: the four lambdas, per layer. A
candidate warm-starts from a *parent* whose penalty is at most its own in
every entry (weaker or equal everywhere). Among those, the parent is the one
that changes ``l1_weight`` least, then ``l2_weight``, then ``l1_bias``, then
``l2_bias`` (the latest fitted on ties): the measured cost of a warm start
is in that order, so the costly ``l1_weight`` changes along one spine and
the cheaper lambdas branch off it. A candidate with no weaker one is fitted
cold. Candidates are fitted by increasing total strength (the sum of the
vector), so every parent is fitted before its children; a full grid has a
single cold fit per chain and fold (the weakest candidate), and its other
candidates form a tree. Weakest first because a path from strong to weak
penalties can stay collapsed: once an L1 penalty has set every weight of a
layer to zero (``l1_method='proximal'``), the weaker candidates started there
stay at the constant model (``benchmarks/bench_path_direction.py`` measures
both orders).

Budgets and the safeguard
-------------------------
A warm start held to the estimator's full stopping test costs nearly a
cold fit (Adam's slow final tail), so each warm start runs at most
``warm_max_iter`` epochs (lbfgs: iterations), through the estimator's
``max_iter`` on the search's own copy, with a private flag that keeps a
stop at the budget from warning. A chain task returns, for each candidate
stopped at the budget, its fitted model (and the fold's fitted pre-steps);
the safeguard then continues the ``n_continued`` leaders by mean score from
those models with the estimator's own ``max_iter`` and stopping rule, in
rounds, until the ``n_continued`` best final scores are all of fits that
stopped on their own. The budget of 20 and one continued leader, and
restarting Adam at every warm start, were measured on the four tasks of
``benchmarks/bench_search.py`` (the user guide's searching page). Keeping
the stopped models costs memory: one model per budgeted candidate and fold,
until the safeguard is done.

What is reused from scikit-learn
--------------------------------
The class derives from ``BaseSearchCV`` and keeps its scorers
(``check_scoring``, ``_MultimetricScorer``), metadata routing, ``cv_results_``
(``_format_results``), the choice of the best candidate, delegation of
``predict``/``score``/..., ``error_score`` handling
(``_warn_or_raise_about_fit_failures``, ``_insert_error_scores``,
``_score``) and joblib's ``Parallel``. Only ``fit`` is its own, because the
unit of work is a chain on a fold rather than a candidate on a fold.
"""

import copy
import time
import warnings
from numbers import Integral
from traceback import format_exc

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import indexable

# isort: split
# scikit-learn's private helpers, all imported here and nowhere else. No
# public equivalent exists: the base class of the searches, the scoring and
# failure bookkeeping of one fit, the splitting of X and fit parameters by CV
# indices, and the parameter validation every scikit-learn estimator uses.
from sklearn.base import _fit_context
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _insert_error_scores,
    _score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.metaestimators import _safe_split
from sklearn.utils.validation import _check_method_params, _num_samples

# isort: split
from ._base import PENALTY_PARAMETERS, BaseMLPRegularized, per_layer_strengths
from ._callbacks import HAS_CALLBACKS, has_callbacks, sub_fit
from ._penalties import ESTIMATOR_PENALTIES

__all__ = ["WarmStartGridSearchCV"]


#: Epochs (lbfgs: iterations) at most of a warm-started fit, by default.
#: Measured on the four tasks of benchmarks/bench_search.py (see the user
#: guide's searching page).
WARM_MAX_ITER = 20

#: Leading candidates continued to convergence, by default (same measurements).
N_CONTINUED = 1

#: Whether warm starts along a chain carry Adam's state from the parent
#: (same measurements).
RESUME_OPTIMIZER = False


# ----------------------------------------------------------------------
# Planning: chains of candidates and the parent of each
# ----------------------------------------------------------------------
def _penalty_prefix(estimator):
    """The prefix of the final skreg estimator's parameters: '' or 'step__'.

    Raises
    ------
    TypeError
        If ``estimator`` is neither a skreg estimator nor a Pipeline ending
        in one.
    """
    if isinstance(estimator, BaseMLPRegularized):
        return ""
    if (
        isinstance(estimator, Pipeline)
        and estimator.steps
        and isinstance(estimator.steps[-1][1], BaseMLPRegularized)
    ):
        if getattr(estimator, "transform_input", None) is not None:
            raise ValueError(
                "WarmStartGridSearchCV does not support a Pipeline with "
                "transform_input; use GridSearchCV."
            )
        return f"{estimator.steps[-1][0]}__"
    raise TypeError(
        "WarmStartGridSearchCV needs a skreg estimator (MLPRegularizedClassifier "
        "or MLPRegularizedRegressor) or a Pipeline whose last step is one; got "
        f"{estimator!r}. Use sklearn.model_selection.GridSearchCV for others."
    )


def _final_step(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _same_value(a, b):
    """Whether two parameter values are the same setting (conservatively)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, BaseEstimator):
        return False  # distinct estimator objects: distinct settings
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same_value, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:
        return False


def _penalty_vector(estimator):
    """The four lambdas of a candidate, per layer, as one tuple; None if invalid."""
    final = _final_step(estimator)
    if not isinstance(final, BaseMLPRegularized):
        return None
    try:
        n_layers = len(final._hidden_layer_sizes()) + 1
        return tuple(
            strength
            for name in PENALTY_PARAMETERS
            for strength in per_layer_strengths(name, getattr(final, name), n_layers)
        )
    except (TypeError, ValueError):
        return None


def _change_cost(name):
    """Sort key of a penalty parameter by what changing it costs a warm start.

    Measured (benchmarks/bench_search.py; the user guide's searching page):
    a warm start that changes a weight lambda runs more epochs than one that
    changes a bias lambda, and a non-smooth term's change (which moves
    weights to or from exact zeros) more than a smooth one's. Ties keep the
    registry's order.
    """
    row = ESTIMATOR_PENALTIES[name]
    return (
        row.parameters != "weights",
        row.term.smooth,
        list(ESTIMATOR_PENALTIES).index(name),
    )


#: The order in which the lambdas are kept fixed between a parent and its
#: child, most costly change first, from the registry of penalty parameters:
#: l1_weight, group_l1_weight, l2_weight, l1_bias, l2_bias.
CHANGE_ORDER = tuple(sorted(PENALTY_PARAMETERS, key=_change_cost))


def _change(vector, parent):
    """How far a warm start from ``parent`` goes, to compare parents.

    The total absolute change of each lambda (over the layers), in
    ``CHANGE_ORDER``; tuples compare lexicographically, so the parent that
    changes l1_weight least wins, then the one that changes l2_weight least,
    and so on.
    """
    per_lambda = np.abs(vector - parent).reshape(len(PENALTY_PARAMETERS), -1).sum(1)
    return tuple(
        float(per_lambda[PENALTY_PARAMETERS.index(name)]) for name in CHANGE_ORDER
    )


def plan_chains(base_estimator, candidate_params, *, weakest_first=True):
    """Group the candidates into chains and choose where each starts.

    Parameters
    ----------
    base_estimator : estimator
        A skreg estimator or a Pipeline ending in one.
    candidate_params : list of dict
    weakest_first : bool, default=True
        Warm-start each candidate from one with weaker (or equal) penalties
        in every entry; False reverses the order (stronger parents), for
        measurements only.

    Returns
    -------
    chains : list of list of (int, int or None)
        Each chain lists ``(candidate index, parent)`` in fitting order,
        ``parent`` being the position in the chain of the candidate it
        warm-starts from, or None for a cold fit. Candidates that share all
        parameters but the penalties of the final estimator share a chain;
        a candidate whose penalties are invalid (or whose final step is not
        a skreg estimator) has a chain of its own.
    """
    prefix = _penalty_prefix(base_estimator)
    penalty_keys = {prefix + name for name in PENALTY_PARAMETERS}
    groups = []  # (shared parameters, [candidate indices])
    for index, params in enumerate(candidate_params):
        shared = {
            key: value for key, value in params.items() if key not in penalty_keys
        }
        for key, members in groups:
            if _same_value(key, shared):
                members.append(index)
                break
        else:
            groups.append((shared, [index]))

    chains = []
    sign = 1.0 if weakest_first else -1.0
    for _, members in groups:
        vectors = {
            index: _penalty_vector(
                clone(base_estimator).set_params(
                    **clone(candidate_params[index], safe=False)
                )
            )
            for index in members
        }
        chains.extend([(index, None)] for index in members if vectors[index] is None)
        valid = [index for index in members if vectors[index] is not None]
        order = sorted(valid, key=lambda index: (sign * sum(vectors[index]), index))
        chain = []
        for position, index in enumerate(order):
            vector = np.asarray(vectors[index])
            parent, parent_change = None, None
            for earlier in range(position):
                candidate = np.asarray(vectors[order[earlier]])
                if candidate.shape != vector.shape or np.any(
                    sign * candidate > sign * vector
                ):
                    continue
                change = _change(vector, candidate)
                if parent_change is None or change <= parent_change:
                    parent, parent_change = earlier, change
            chain.append((index, parent))
        if chain:
            chains.append(chain)
    return chains


def _warn_about_early_stopping(base_estimator, candidate_params, chains):
    """Warn if a warm-started chain's estimator uses early stopping."""
    for chain in chains:
        if len(chain) < 2:
            continue
        head = clone(base_estimator).set_params(
            **clone(candidate_params[chain[0][0]], safe=False)
        )
        if getattr(_final_step(head), "early_stopping", False):
            warnings.warn(
                "The estimator has early_stopping=True: a warm-started fit "
                "stops once its validation score has not improved for "
                "n_iter_no_change epochs and keeps its best weights, which "
                "are often close to where it started, so the scores of "
                "warm-started candidates mostly reflect their parent's "
                "penalties. Set early_stopping=False (and a max_iter large "
                "enough for fits to stop on tol), or use GridSearchCV.",
                UserWarning,
                stacklevel=4,
            )
            return


# ----------------------------------------------------------------------
# Fitting: the pre-steps once, then the final estimator along the chain
# ----------------------------------------------------------------------
class _ChainFitter:
    """Fits the candidates of one chain on one training set.

    The steps before the final estimator of a Pipeline are fitted once, by
    :meth:`fit_pre_steps`, on the first candidate's settings (all candidates
    of a chain share them); :meth:`fit_candidate` then fits the final
    estimator of a candidate, cold or warm-started from a fitted one, and
    :meth:`estimator` puts it back into the fitted pipeline.
    """

    def __init__(self, base_estimator, caller=None):
        self.base_estimator = base_estimator
        self.caller = caller  # the search, for the callbacks' hooks
        self.is_pipeline = isinstance(base_estimator, Pipeline)
        self.pipeline = None
        self.fitted_steps = []
        self.Xt = None
        self.final_fit_params = {}

    def candidate(self, params):
        return clone(self.base_estimator).set_params(**clone(params, safe=False))

    def fit_pre_steps(self, params, X, y, fit_params):
        """Fit the pre-steps of the chain's pipeline (if any) on X, y."""
        estimator = self.candidate(params)
        if not self.is_pipeline:
            self.Xt, self.final_fit_params = X, fit_params
            return
        self.pipeline = estimator
        routed = self._route(estimator, fit_params)
        Xt = X
        for name, step in estimator.steps[:-1]:
            if step is None or (isinstance(step, str) and step == "passthrough"):
                self.fitted_steps.append((name, step))
                continue
            step_params = routed[name]
            if hasattr(step, "fit_transform"):
                Xt = step.fit_transform(Xt, y, **step_params["fit_transform"])
            else:
                Xt = step.fit(Xt, y, **step_params["fit"]).transform(Xt)
            self.fitted_steps.append((name, step))
        self.Xt = Xt
        self.final_fit_params = routed[estimator.steps[-1][0]]["fit"]

    @staticmethod
    def _route(pipeline, fit_params):
        """Per-step fit parameters, as Pipeline.fit routes them."""
        if _routing_enabled():
            return process_routing(pipeline, "fit", **fit_params)
        routed = {name: {"fit": {}, "fit_transform": {}} for name, _ in pipeline.steps}
        for key, value in fit_params.items():
            if "__" not in key:
                raise ValueError(
                    f"Pipeline.fit does not accept the {key} parameter. You can "
                    "pass parameters to specific steps of your pipeline using "
                    "the stepname__parameter format, e.g. `Pipeline.fit(X, y, "
                    "logisticregression__sample_weight=sample_weight)`."
                )
            step, parameter = key.split("__", 1)
            routed[step]["fit"][parameter] = value
            routed[step]["fit_transform"][parameter] = value
        return routed

    def fit_candidate(
        self, params, y, start=None, *, budget=None, resume=False, context=None
    ):
        """The candidate's final estimator, fitted cold or from ``start``.

        Parameters
        ----------
        params : dict
            The candidate's parameters.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        start : estimator or None
            A fitted final estimator to warm-start from (a copy is fitted),
            or None for a cold fit with the candidate's own settings.
        budget : int or None
            For a warm start: its epochs (lbfgs: iterations) at most, if
            fewer than the candidate's ``max_iter``. A fit stopped there is
            not warned about (it is no convergence failure).
        context : CallbackContext or None
            The search's leaf task for this fit: its callbacks pass to the
            fitted estimator (scikit-learn >= 1.9).
        resume : bool
            For a warm start: carry the optimizer's state (Adam's moments,
            the step count) over from ``start`` instead of restarting it.

        Returns
        -------
        model : estimator
            The fitted final estimator, with the candidate's own settings
            (``max_iter`` included) whatever the budget.
        budget_reached : bool
            Whether the fit stopped at ``budget`` rather than on its own
            stopping rule.
        """
        final = _final_step(self.candidate(params))
        if start is None:
            with sub_fit(context, self.caller, final, self.Xt, y):
                final.fit(self.Xt, y, **self.final_fit_params)
            return final, False
        # The callbacks by reference, as clone keeps them (a copied monitor
        # would log into its copy).
        shared = {id(cb): cb for cb in getattr(start, "_skl_callbacks", [])}
        model = copy.deepcopy(start, memo=shared)
        model.set_params(
            warm_start=True,
            max_iter=final.max_iter,
            **{name: getattr(final, name) for name in PENALTY_PARAMETERS},
        )
        # The estimator's private hooks for a search (skreg/_base.py).
        model._resume_optimizer = resume
        if budget is not None and budget < final.max_iter:
            model.set_params(max_iter=budget)
            model._max_iter_is_budget = True
        with sub_fit(context, self.caller, model, self.Xt, y):
            model.fit(self.Xt, y, **self.final_fit_params)
        budget_reached = model.__dict__.pop("_budget_reached", False)
        for hook in ("_max_iter_is_budget", "_resume_optimizer"):
            model.__dict__.pop(hook, None)
        model.set_params(max_iter=final.max_iter)
        return model, budget_reached

    def without_data(self):
        """This fitter with its fitted pre-steps but not the training data.

        What a continuation needs (:func:`_continue_and_score`), light
        enough to send back from a worker; :meth:`transform_training` then
        recomputes the data the final estimator is trained on.
        """
        light = copy.copy(self)
        light.Xt = None
        return light

    def transform_training(self, X):
        """Set the final estimator's training data from X, by the fitted pre-steps.

        By ``transform``: where a step's ``fit_transform`` differs from
        ``fit(X).transform(X)`` (PCA's, by rounding), a continuation trains
        on data that differ from the budgeted fit's by as much; the test
        data were transformed by ``transform`` in both.
        """
        Xt = X
        for _, step in self.fitted_steps:
            if step is None or (isinstance(step, str) and step == "passthrough"):
                continue
            Xt = step.transform(Xt)
        self.Xt = Xt

    def estimator(self, model):
        """The fitted model as the user's estimator (its pipeline, if any)."""
        if not self.is_pipeline:
            return model
        pipeline = copy.copy(self.pipeline)
        pipeline.steps = [*self.fitted_steps, (self.pipeline.steps[-1][0], model)]
        return pipeline


def _error_scores(scorer, error_score):
    if isinstance(scorer, _MultimetricScorer):
        return {name: error_score for name in scorer._scorers}
    return error_score


def _progress_message(verbose, split_progress, candidate_progress, params, result):
    """The line _fit_and_score prints after a fit (verbose > 1)."""
    progress = ""
    if verbose > 2:
        progress = f" {split_progress[0] + 1}/{split_progress[1]}"
        if verbose > 9:
            progress += f"; {candidate_progress[0] + 1}/{candidate_progress[1]}"
    end = f"[CV{progress}] END "
    message = ", ".join(f"{key}={params[key]}" for key in sorted(params))
    message += ";" if message else ""
    if verbose > 2:
        test, train = result["test_scores"], result.get("train_scores")
        if isinstance(test, dict):
            for name in sorted(test):
                message += f" {name}: ("
                if train is not None:
                    message += f"train={train[name]:.3f}, "
                message += f"test={test[name]:.3f})"
        elif train is not None:
            message += f", score=(train={train:.3f}, test={test:.3f})"
        else:
            message += f", score={test:.3f}"
    message += f" {result['start']} total time="
    message += f"{result['fit_time'] + result['score_time']:.1f}s"
    return end + "." * max(80 - len(end) - len(message), 0) + message


def _fit_and_score_chain(
    base_estimator,
    X,
    y,
    *,
    train,
    test,
    chain,
    candidate_params,
    scorer,
    fit_params,
    score_params,
    return_train_score,
    error_score,
    verbose,
    split_progress,
    budget=None,
    resume=False,
    keep_stopped=True,
    contexts=None,
    caller=None,
):
    """Fit and score the candidates of a chain on one fold.

    The chain's warm starts run at most ``budget`` epochs each (None: no
    budget), carrying the optimizer's state over if ``resume``; the models
    stopped at the budget are returned if ``keep_stopped`` (for the
    safeguard). ``contexts``, if given, maps each candidate's index to its
    callback task on this fold, whose hooks are called by ``caller``.

    Returns
    -------
    results : list of (int, dict)
        For each candidate of the chain, its index and the dict that
        scikit-learn's ``_fit_and_score`` returns for it (``fit_error``,
        ``test_scores``, ``train_scores`` if asked, ``n_test_samples``,
        ``fit_time``, ``score_time``), plus ``n_iter`` (its fit's epochs or
        iterations) and ``budget_reached``.
    fitter : _ChainFitter
        The fold's fitted pre-steps, without the data.
    stopped_at_budget : dict of int -> estimator
        The fitted final estimators of the candidates whose fit stopped at
        the budget, by candidate index: where a continuation starts.
    """
    fit_params = _check_method_params(X, params=fit_params or {}, indices=train)
    score_params = score_params or {}
    score_params_train = _check_method_params(X, params=score_params, indices=train)
    score_params_test = _check_method_params(X, params=score_params, indices=test)
    X_train, y_train = _safe_split(base_estimator, X, y, train)
    X_test, y_test = _safe_split(base_estimator, X, y, test, train)
    n_test_samples = _num_samples(X_test)
    n_candidates = len(candidate_params)

    fitter = _ChainFitter(base_estimator, caller)
    start_time = time.time()
    pre_step_error = None
    try:
        fitter.fit_pre_steps(
            candidate_params[chain[0][0]], X_train, y_train, fit_params
        )
    except Exception:
        if error_score == "raise":
            raise
        pre_step_error = format_exc()
    pre_step_time = time.time() - start_time

    results = []
    stopped_at_budget = {}
    fitted = {}  # position in the chain -> fitted model (or what it started from)
    children_left = {}
    for _, parent in chain:
        if parent is not None:
            children_left[parent] = children_left.get(parent, 0) + 1

    for position, (index, parent) in enumerate(chain):
        params = candidate_params[index]
        start = fitted.get(parent) if parent is not None else None
        result = {"start": "warm" if start is not None else "cold"}
        start_time = time.time()
        try:
            if pre_step_error is not None:
                raise _PreStepError(pre_step_error)
            model, budget_reached = fitter.fit_candidate(
                params,
                y_train,
                start,
                budget=budget,
                resume=resume,
                context=contexts[index] if contexts else None,
            )
        except Exception as error:
            fit_time = time.time() - start_time
            if error_score == "raise":
                raise
            result["fit_error"] = (
                error.traceback if isinstance(error, _PreStepError) else format_exc()
            )
            result["test_scores"] = _error_scores(scorer, error_score)
            if return_train_score:
                result["train_scores"] = _error_scores(scorer, error_score)
            # Its children start where it started.
            fitted[position] = start
            score_time = 0.0
            result["n_iter"], result["budget_reached"] = 0, False
        else:
            fit_time = time.time() - start_time
            fitted[position] = model
            result["n_iter"], result["budget_reached"] = model.n_iter_, budget_reached
            if budget_reached and keep_stopped:
                stopped_at_budget[index] = model
            estimator = fitter.estimator(model)
            result["fit_error"] = None
            result["test_scores"] = _score(
                estimator, X_test, y_test, scorer, score_params_test, error_score
            )
            score_time = time.time() - start_time - fit_time
            if return_train_score:
                result["train_scores"] = _score(
                    estimator, X_train, y_train, scorer, score_params_train, error_score
                )
        if position == 0:
            fit_time += pre_step_time  # the pre-steps count once, at the chain's head
        result["n_test_samples"] = n_test_samples
        result["fit_time"] = fit_time
        result["score_time"] = score_time
        if verbose > 1:
            print(
                _progress_message(
                    verbose, split_progress, (index, n_candidates), params, result
                )
            )
        del result["start"]
        results.append((index, result))
        if parent is not None:
            children_left[parent] -= 1
            if children_left[parent] == 0:
                del fitted[parent]  # no longer needed: free its memory
        if not children_left.get(position):
            fitted.pop(position, None)
    return results, fitter.without_data(), stopped_at_budget


def _continue_and_score(
    fitter,
    X,
    y,
    *,
    train,
    test,
    candidates,
    scorer,
    fit_params,
    score_params,
    return_train_score,
    error_score,
    resume,
):
    """Continue candidates' budgeted fits on one fold with their own stopping rule.

    Parameters
    ----------
    fitter : _ChainFitter
        The fold's fitted pre-steps (:meth:`_ChainFitter.without_data`).
    candidates : list of (int, dict, estimator)
        Candidate index, parameters and the final estimator its budgeted
        fit left on this fold.

    Returns
    -------
    results : list of (int, dict)
        For each candidate, its index and ``test_scores`` (and
        ``train_scores``), ``fit_error``, ``fit_time``, ``score_time`` and
        ``n_iter`` of the continuation alone.
    """
    fit_params = _check_method_params(X, params=fit_params or {}, indices=train)
    score_params = score_params or {}
    score_params_train = _check_method_params(X, params=score_params, indices=train)
    score_params_test = _check_method_params(X, params=score_params, indices=test)
    X_train, y_train = _safe_split(fitter.base_estimator, X, y, train)
    X_test, y_test = _safe_split(fitter.base_estimator, X, y, test, train)
    fitter.transform_training(X_train)
    results = []
    for index, params, start in candidates:
        result = {"fit_error": None, "n_iter": 0, "score_time": 0.0}
        start_time = time.time()
        try:
            model, _ = fitter.fit_candidate(params, y_train, start, resume=resume)
        except Exception:
            if error_score == "raise":
                raise
            result["fit_error"] = format_exc()
            result["test_scores"] = _error_scores(scorer, error_score)
            if return_train_score:
                result["train_scores"] = _error_scores(scorer, error_score)
            result["fit_time"] = time.time() - start_time
        else:
            result["fit_time"] = time.time() - start_time
            result["n_iter"] = model.n_iter_
            estimator = fitter.estimator(model)
            result["test_scores"] = _score(
                estimator, X_test, y_test, scorer, score_params_test, error_score
            )
            result["score_time"] = time.time() - start_time - result["fit_time"]
            if return_train_score:
                result["train_scores"] = _score(
                    estimator, X_train, y_train, scorer, score_params_train, error_score
                )
        results.append((index, result))
    return results


class _PreStepError(Exception):
    """The pipeline's pre-steps failed on this fold: every candidate fails."""

    def __init__(self, traceback):
        super().__init__(traceback)
        self.traceback = traceback


def _fit_path(
    base_estimator,
    X,
    y,
    path_params,
    fit_params,
    *,
    budget,
    resume,
    context=None,
    caller=None,
):
    """Fit the candidates of ``path_params`` in turn, each from the previous one.

    The candidates before the last are warm-started within ``budget`` as on
    each fold; the last is fitted with its own stopping rule, as a
    continued leader is. ``context``, if given, is the refit's callback task:
    each fit of the path is one of its sub-tasks, called by ``caller``.
    """
    fitter = _ChainFitter(base_estimator, caller)
    fitter.fit_pre_steps(path_params[0], X, y, fit_params)
    model = None
    for position, params in enumerate(path_params):
        last = position == len(path_params) - 1
        model, _ = fitter.fit_candidate(
            params,
            y,
            model,
            budget=None if last else budget,
            resume=resume,
            context=None if context is None else context.subcontext("path-fit"),
        )
    model.set_params(warm_start=_final_step(fitter.candidate(params)).warm_start)
    return fitter.estimator(model)


# ----------------------------------------------------------------------
# The safeguard: continuing the leading candidates
# ----------------------------------------------------------------------
class _Leaders:
    """The fits stopped at the budget, and the continuation of the leaders.

    Holds, for each candidate whose warm start stopped at ``warm_max_iter``
    on some fold, the fitted final estimator there and the fold's fitted
    pre-steps; :meth:`continue_candidates` fits those further with the
    estimator's own stopping rule and writes the new scores into the
    search's per-fit results.

    Attributes
    ----------
    stopped : dict of int -> list of (int, estimator)
        Candidate index -> (task, fitted final estimator) for each fold on
        which its fit stopped at the budget and was not continued yet.
    continued : set of int
        The candidates continued so far.
    """

    def __init__(self, n_splits):
        self.n_splits = n_splits
        self.tasks = []  # (split index, train, test, fitter without data)
        self.stopped = {}
        self.continued = set()

    def add_task(self, split_index, train, test, fitter, stopped_at_budget, offset):
        """Record a chain's fold: its pre-steps and its fits stopped at the budget."""
        task = len(self.tasks)
        self.tasks.append((split_index, train, test, fitter))
        for index, model in stopped_at_budget.items():
            self.stopped.setdefault(offset + index, []).append((task, model))

    @staticmethod
    def ranking(results, refit_metric):
        """Candidate indices, best mean test score first (failures last).

        The metric is the one that picks the best candidate (``refit``'s
        name with several metrics); with several metrics and no such name,
        the first by name. Ties go to the lower index, as ``rank_test_*``.
        """
        metric = refit_metric if isinstance(refit_metric, str) else None
        if f"mean_test_{metric}" not in results:
            metric = min(
                key.removeprefix("mean_test_")
                for key in results
                if key.startswith("mean_test_")
            )
        scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        scores = np.where(np.isnan(scores), -np.inf, scores)
        return [int(index) for index in np.argsort(-scores, kind="stable")]

    def continue_candidates(
        self, indices, parallel, task, X, y, candidate_params, out, settings
    ):
        """Continue ``indices`` on their stopped folds; update ``out`` in place.

        One parallel task per chain and fold, as for the budgeted pass.

        Returns
        -------
        continuation : list of dict
            The continuations' own results (for the failure warnings).
        """
        by_task = {}
        for index in indices:
            for task_index, model in self.stopped.pop(index):
                by_task.setdefault(task_index, []).append(
                    (index, candidate_params[index], model)
                )
            self.continued.add(index)
        task_order = sorted(by_task)
        outputs = parallel(
            task(
                self.tasks[task_index][3],
                X,
                y,
                train=self.tasks[task_index][1],
                test=self.tasks[task_index][2],
                candidates=by_task[task_index],
                **settings,
            )
            for task_index in task_order
        )
        continuation = []
        for task_index, task_results in zip(task_order, outputs, strict=True):
            split_index = self.tasks[task_index][0]
            for index, result in task_results:
                entry = out[index * self.n_splits + split_index]
                for key in ("test_scores", "train_scores", "fit_error"):
                    if key in result:
                        entry[key] = result[key]
                for key in ("fit_time", "score_time", "n_iter"):
                    entry[key] += result[key]
                entry["budget_reached"] = False
                continuation.append(result)
        return continuation

    def result_columns(self, out, n_candidates):
        """The columns WarmStartGridSearchCV adds to GridSearchCV's results."""
        n_iter = np.array([entry.get("n_iter", 0) for entry in out], dtype=np.intp)
        n_iter = n_iter.reshape(n_candidates, self.n_splits)
        stopped = np.array([entry.get("budget_reached", False) for entry in out])
        columns = {
            "budgeted": stopped.reshape(n_candidates, self.n_splits).any(axis=1),
            "continued": np.array(
                [index in self.continued for index in range(n_candidates)],
                dtype=bool,
            ),
        }
        for split in range(self.n_splits):
            columns[f"split{split}_n_iter"] = n_iter[:, split]
        return columns


# ----------------------------------------------------------------------
# The search
# ----------------------------------------------------------------------
class WarmStartGridSearchCV(BaseSearchCV):
    """Exhaustive search over a parameter grid, warm-starting along the lambdas.

    The interface and the results of scikit-learn's
    :class:`~sklearn.model_selection.GridSearchCV` (the same parameters, the
    same ``cv_results_`` keys, ``best_params_``, ``best_score_``,
    ``best_estimator_``, ``predict``, ``score`` ...), for an
    :class:`~skreg.MLPRegularizedClassifier` or
    :class:`~skreg.MLPRegularizedRegressor`, or a
    :class:`~sklearn.pipeline.Pipeline` ending in one. What differs is how
    the candidates of a fold are fitted:

    - Candidates that share every parameter but the penalties of the final
      estimator (``l1_weight``, ``l1_bias``, ``l2_weight``, ``l2_bias``,
      floats or per-layer lists) form a **chain**. Anything else in the grid
      (architecture, solver, ``l1_method``, a pipeline step's parameters)
      starts a new chain.
    - Within a chain, each candidate starts from the fitted model of a
      candidate whose lambdas are weaker or equal in every layer, with
      ``warm_start=True``: preferably one with the same ``l1_weight``, whose
      change costs the most epochs, then the same ``l2_weight``, then bias
      lambdas. The weakest is fitted cold, exactly as GridSearchCV would fit
      it. Candidates are fitted from
      the weakest to the strongest: started from a strong L1 penalty that
      removed every weight, a path stays collapsed at weaker ones.
    - In a Pipeline, the steps before the final estimator are fitted once per
      fold and chain; each candidate is scored right after its fit, through
      the pipeline, as GridSearchCV scores it.
    - Each task of the parallel loop is one chain on one fold, so the results
      do not depend on ``n_jobs``.

    Warm-started candidates are not independent fits: the network's loss is
    not convex, and a warm start ends near where it started, at a solution a
    cold fit need not reach (for instance sparser, the weights an earlier
    candidate's L1 penalty removed coming back only as needed). Their
    cross-validated scores are those of the models on the path. With
    ``refit=True`` the best candidate is then refitted cold on the whole
    data, as GridSearchCV does (``refit_mode='cold'``), or along its path
    (``refit_mode='path'``) to get the very kind of model that was scored.
    See :ref:`searching`.

    Parameters
    ----------
    estimator : estimator object
        An :class:`~skreg.MLPRegularizedClassifier`, an
        :class:`~skreg.MLPRegularizedRegressor`, or a
        :class:`~sklearn.pipeline.Pipeline` whose last step is one. Its
        ``warm_start`` is used as set for the cold fits and the refit; warm
        starts along a chain set it to True.

    param_grid : dict or list of dict
        As for :class:`~sklearn.model_selection.GridSearchCV`: parameter
        names (with the step prefix in a pipeline, e.g.
        ``mlpregularizedclassifier__l1_weight``) mapped to lists of values; a
        lambda's values may be floats or per-layer lists.

    scoring : str, callable, list, tuple or dict, default=None
        As for GridSearchCV: the estimator's ``score`` by default.

    n_jobs : int, default=None
        Number of jobs to run in parallel, over the (chain, fold) tasks.
        ``None`` means 1 unless in a :func:`joblib.parallel_backend` context.
        A grid of one chain runs at most ``n_splits`` tasks at a time.

    refit : bool, str, or callable, default=True
        As for GridSearchCV: refit the best candidate on the whole data set
        (for multiple metrics, the name of the scorer that picks it, or a
        callable of ``cv_results_`` returning its index).

    refit_mode : {'cold', 'path'}, default='cold'
        How the best candidate is refitted with ``refit``:

        - 'cold': a clone with the best parameters, fitted from scratch on
          the whole data, exactly as GridSearchCV refits it;
        - 'path': the candidates from its chain's cold start to it, fitted in
          turn on the whole data with warm starts, as on each fold (those
          before it within ``warm_max_iter``, it with its own stopping
          rule, as a continued leader). This gives the kind of model that
          was scored, at the cost of the fits before it on its path
          (``refit_time_``).

    warm_max_iter : int or None, default=20
        Epochs (``solver='lbfgs'``: iterations) at most of each warm-started
        fit; the first candidate of each chain (a cold fit) and the refit
        keep the estimator's ``max_iter`` and stopping rule, as in
        GridSearchCV. A warm start that stops at this budget is scored as it
        is (``cv_results_['budgeted']``), and no ConvergenceWarning is
        raised for it. None: every fit runs to the estimator's own stopping
        rule (no budget). The default was measured on four tasks
        (:ref:`searching`): 20 epochs keep the chosen lambdas of the
        unbudgeted searches at 5 to 10 times fewer epochs than GridSearchCV;
        10 mis-ranks. Raise it when fits are slow to move (a small
        ``learning_rate_init``, large steps between lambdas).

    n_continued : int, default=1
        The safeguard against mis-ranking by budgeted scores: after the
        budgeted pass, the best candidates by mean test score are continued
        from their path models, on every fold where they stopped at the
        budget, with the estimator's own ``max_iter`` and stopping rule, and
        take the scores of those fits; this repeats until the
        ``n_continued`` best candidates by the final scores all have scores
        of fits that stopped on their own (cold fits, warm starts within the
        budget, continuations), so that ``best_params_`` is such a
        candidate. 0 disables it. Measured (:ref:`searching`): 1 corrects
        the ranking on the four tasks; each further leader costs about one
        cold fit per fold.

    cv : int, cross-validation generator or an iterable, default=None
        As for GridSearchCV (5-fold, stratified for classifiers).

    verbose : int, default=0
        Verbosity as in GridSearchCV: >0 prints the number of folds,
        candidates and chains; >1 one line per fit (marked ``cold`` or
        ``warm``); >2 the scores too.

    pre_dispatch : int or str, default='2*n_jobs'
        Controls the number of tasks dispatched during parallel execution,
        as for GridSearchCV.

    error_score : 'raise' or numeric, default=np.nan
        Score of a candidate whose fit fails on a fold; 'raise' raises the
        error. A failed candidate passes on to the candidates warm-started
        from it the model it started from (a cold start if it was the first).
        If the pre-steps of a pipeline fail on a fold, every candidate of the
        chain fails there.

    return_train_score : bool, default=False
        Also score each candidate on its training folds.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        GridSearchCV's table of results, with the same keys; ``mean_fit_time``
        of a chain's first candidate includes the fitting of the pipeline's
        pre-steps, and the other candidates' fit times are those of their
        warm starts (and continuations). Added after GridSearchCV's keys:

        - ``budgeted``, bool of shape (n_candidates,): the candidate's score
          includes a fit stopped at ``warm_max_iter`` (on at least one fold)
          rather than on the estimator's stopping rule;
        - ``continued``, bool of shape (n_candidates,): the safeguard
          continued the candidate's budgeted fits (``n_continued``);
        - ``split{k}_n_iter``, int of shape (n_candidates,): the epochs
          (lbfgs: iterations) the candidate's own fits ran on fold k, its
          warm start and continuation together (its parent's not counted).

    best_estimator_ : estimator
        The refitted best candidate (``refit`` not False).

    best_score_ : float
        Mean cross-validated score of the best candidate.

    best_params_ : dict
        Parameters of the best candidate.

    best_index_ : int
        Index of the best candidate in ``cv_results_``.

    warm_start_from_ : ndarray of int of shape (n_candidates,)
        For each candidate, the index of the candidate it is warm-started
        from on every fold, or -1 for a cold fit.

    scorer_ : function or dict
        Scorer(s) used on the held-out data.

    n_splits_ : int
        Number of cross-validation splits.

    refit_time_ : float
        Seconds spent refitting the best candidate (with ``refit_mode='path'``,
        its whole path).

    multimetric_ : bool
        Whether the scorers compute several metrics.

    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers, with ``refit``).

    n_features_in_ : int
        Number of features seen during fit (with ``refit``).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (with ``refit``), when X has
        string column names.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Every candidate fitted from scratch.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skreg import MLPRegularizedClassifier, WarmStartGridSearchCV
    >>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    >>> search = WarmStartGridSearchCV(
    ...     MLPRegularizedClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
    ...                              l1_method="proximal",
    ...                              max_iter=2000, random_state=0),
    ...     {"l1_weight": [0.0, 1e-3, 1e-2], "l2_weight": [1e-3, 1e-2]},
    ...     cv=3,
    ... ).fit(X, y)
    >>> len(search.cv_results_["params"])
    6
    >>> search.warm_start_from_  # the weakest candidate is the only cold fit
    array([-1,  0,  0,  2,  2,  4])
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_grid": [dict, list],
        "refit_mode": [StrOptions({"cold", "path"})],
        "warm_max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "n_continued": [Interval(Integral, 0, None, closed="left")],
    }

    #: Fit each chain from the weakest penalties to the strongest (False:
    #: the reverse, for benchmarks/bench_path_direction.py only).
    _weakest_first = True

    #: Whether a warm start along a chain carries the optimizer's state
    #: (Adam's moments and step count) over from its parent. Measured: see
    #: RESUME_OPTIMIZER.
    _resume_optimizer = RESUME_OPTIMIZER

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        refit_mode="cold",
        warm_max_iter=WARM_MAX_ITER,
        n_continued=N_CONTINUED,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.param_grid = param_grid
        self.refit_mode = refit_mode
        self.warm_max_iter = warm_max_iter
        self.n_continued = n_continued

    @property
    def n_features_in_(self):
        """Number of features seen during fit; only with ``refit``.

        As GridSearchCV's (whose docstring cross-references scikit-learn's
        glossary, which this documentation does not have).
        """
        return super().n_features_in_

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Search all candidates in param_grid (one callback task, as GridSearchCV)."""
        candidate_params = ParameterGrid(self.param_grid)
        if callback_ctx is None:
            evaluate_candidates(candidate_params)
            return
        search_context = callback_ctx.subcontext(
            task_name="search",
            max_subtasks=len(candidate_params) * self.n_splits_,
            sequential_subtasks=False,
        ).call_on_fit_task_begin(estimator=self)
        evaluate_candidates(candidate_params, callback_ctx=search_context)
        search_context.call_on_fit_task_end(estimator=self)

    @_fit_context(
        # WarmStartGridSearchCV.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters, chain by chain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the
            scorer and the CV splitter, as for GridSearchCV (e.g.
            ``sample_weight``, or ``mlpregularizedclassifier__sample_weight``
            for a pipeline, and ``groups``).

        Returns
        -------
        self : object
            The fitted search.
        """
        for name in ("warm_max_iter", "n_continued"):
            if isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"The '{name}' parameter of WarmStartGridSearchCV must be an "
                    f"int, not a boolean: got {getattr(self, name)!r}."
                )
        _penalty_prefix(self.estimator)
        scorers, refit_metric = self._get_scorers()

        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed_params = self._get_routed_params_for_fit(params)
        # The callback tasks, as BaseSearchCV.fit's (scikit-learn >= 1.9):
        # the search, then the refit; one leaf per candidate and fold.
        root_context = self._root_callback_context(X, y, params)

        self._checked_cv_orig = check_cv(
            self.cv, y, classifier=is_classifier(self.estimator)
        )
        self.n_splits_ = self._checked_cv_orig.get_n_splits(
            X, y, **routed_params.splitter.split
        )
        base_estimator = clone(self.estimator)
        parallel = Parallel(n_jobs=self.n_jobs, pre_dispatch=self.pre_dispatch)

        results = {}
        all_candidate_params, all_out, all_parents = [], [], []
        leaders = _Leaders(self.n_splits_)
        all_more_results = {}
        with parallel:

            def evaluate_candidates(
                candidate_params, cv=None, more_results=None, callback_ctx=None
            ):
                cv = cv or self._checked_cv_orig
                candidate_params = list(candidate_params)
                n_candidates, n_splits = len(candidate_params), self.n_splits_
                cv_splits = list(cv.split(X, y, **routed_params.splitter.split))
                if len(cv_splits) != n_splits:
                    raise ValueError(
                        "cv.split and cv.get_n_splits return inconsistent "
                        f"results. Expected {n_splits} splits, got {len(cv_splits)}"
                    )
                chains = plan_chains(
                    base_estimator, candidate_params, weakest_first=self._weakest_first
                )
                _warn_about_early_stopping(base_estimator, candidate_params, chains)
                offset = len(all_candidate_params)
                parents = np.full(n_candidates, -1, dtype=np.intp)
                for chain in chains:
                    for index, parent in chain:
                        if parent is not None:
                            parents[index] = offset + chain[parent][0]
                if self.verbose > 0:
                    n_warm = int(np.count_nonzero(parents >= 0))
                    print(
                        f"Fitting {n_splits} folds for each of {n_candidates} "
                        f"candidates, totalling {n_candidates * n_splits} fits"
                    )
                    print(
                        f"in {len(chains)} chains per fold: "
                        f"{n_candidates - n_warm} cold fits and {n_warm} warm "
                        "starts per fold"
                    )

                tasks = [
                    (chain, split_index, train, test)
                    for chain in chains
                    for split_index, (train, test) in enumerate(cv_splits)
                ]
                # Made here, not in the workers, as BaseSearchCV's: task ids
                # in GridSearchCV's order, candidate by candidate.
                contexts = [
                    {
                        index: callback_ctx.subcontext(
                            task_name="candidate-split-evaluation",
                            task_id=index * n_splits + split_index,
                        )
                        for index, _ in chain
                    }
                    if callback_ctx is not None
                    else None
                    for chain, split_index, _, _ in tasks
                ]
                outputs = parallel(
                    delayed(_fit_and_score_chain)(
                        base_estimator,
                        X,
                        y,
                        train=train,
                        test=test,
                        chain=chain,
                        candidate_params=candidate_params,
                        **self._task_settings(scorers, routed_params),
                        verbose=self.verbose,
                        split_progress=(split_index, n_splits),
                        budget=self.warm_max_iter,
                        keep_stopped=self.n_continued > 0,
                        contexts=task_contexts,
                        caller=self,
                    )
                    for (chain, split_index, train, test), task_contexts in zip(
                        tasks, contexts, strict=True
                    )
                )
                # GridSearchCV's order: candidate by candidate, splits within.
                out = [None] * (n_candidates * n_splits)
                for (_, split_index, train, test), output in zip(
                    tasks, outputs, strict=True
                ):
                    chain_results, fitter, stopped_at_budget = output
                    for index, result in chain_results:
                        out[index * n_splits + split_index] = result
                    leaders.add_task(
                        split_index, train, test, fitter, stopped_at_budget, offset
                    )
                if len(out) < 1:
                    raise ValueError(
                        "No fits were performed. Was the CV iterator empty? "
                        "Were there no candidates?"
                    )
                _warn_or_raise_about_fit_failures(out, self.error_score)
                if callable(self.scoring):
                    _insert_error_scores(out, self.error_score)

                all_candidate_params.extend(candidate_params)
                all_out.extend(out)
                all_parents.extend(parents)
                if more_results is not None:
                    for key, value in more_results.items():
                        all_more_results.setdefault(key, []).extend(value)
                nonlocal results
                results = self._format_results(
                    all_candidate_params, n_splits, all_out, all_more_results
                )
                return results

            self._run_search(evaluate_candidates, callback_ctx=root_context)

            first_test_score = all_out[0]["test_scores"]
            self.multimetric_ = isinstance(first_test_score, dict)
            if callable(self.scoring) and self.multimetric_:
                self._check_refit_for_multimetric(first_test_score)
                refit_metric = self.refit

            if leaders.stopped and self.n_continued > 0:
                results = self._continue_leaders(
                    leaders,
                    parallel,
                    X,
                    y,
                    all_candidate_params,
                    all_out,
                    all_more_results,
                    results,
                    refit_metric,
                    scorers,
                    routed_params,
                )
            results.update(leaders.result_columns(all_out, len(all_candidate_params)))

        self.warm_start_from_ = np.asarray(all_parents, dtype=np.intp)
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(
                self.refit, refit_metric, results
            )
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][
                    self.best_index_
                ]
            self.best_params_ = results["params"][self.best_index_]

        if self.refit:
            refit_params = routed_params.estimator.fit
            start_time = time.time()
            if self.refit_mode == "path":
                path_length = self._path_length(self.best_index_)
                refit_context = (
                    None
                    if root_context is None
                    else root_context.subcontext(
                        task_name="refit-with-best-params", max_subtasks=path_length
                    )
                )
                if refit_context is not None:
                    refit_context.call_on_fit_task_begin(estimator=self, X=X, y=y)
                self.best_estimator_ = self._fit_along_path(
                    X,
                    y,
                    self.best_index_,
                    all_candidate_params,
                    refit_params,
                    context=refit_context,
                )
                if refit_context is not None:
                    refit_context.call_on_fit_task_end(estimator=self, X=X, y=y)
            else:
                self.best_estimator_ = clone(base_estimator).set_params(
                    **clone(self.best_params_, safe=False)
                )
                refit_context = (
                    None
                    if root_context is None
                    else root_context.subcontext(task_name="refit-with-best-params")
                )
                with sub_fit(refit_context, self, self.best_estimator_, X, y):
                    if y is not None:
                        self.best_estimator_.fit(X, y, **refit_params)
                    else:
                        self.best_estimator_.fit(X, **refit_params)
            self.refit_time_ = time.time() - start_time
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_

        if isinstance(scorers, _MultimetricScorer):
            self.scorer_ = scorers._scorers
        else:
            self.scorer_ = scorers
        self.cv_results_ = results
        if root_context is not None:
            root_context.call_on_fit_task_end(estimator=self, X=X, y=y)
        return self

    def _root_callback_context(self, X, y, params):
        """The search's callback task, begun; None without callbacks."""
        if not (HAS_CALLBACKS and has_callbacks(self)):
            return None
        sample_weight = params.get("sample_weight")
        context = self._init_callback_context(max_subtasks=1 + bool(self.refit))
        return context.call_on_fit_task_begin(
            estimator=self,
            X=X,
            y=y,
            metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        )

    def _task_settings(self, scorers, routed_params):
        """What every chain and continuation task is given to fit and score."""
        return dict(
            scorer=scorers,
            fit_params=routed_params.estimator.fit,
            score_params=routed_params.scorer.score,
            return_train_score=self.return_train_score,
            error_score=self.error_score,
            resume=self._resume_optimizer,
        )

    def _continue_leaders(
        self,
        leaders,
        parallel,
        X,
        y,
        candidate_params,
        out,
        more_results,
        results,
        refit_metric,
        scorers,
        routed_params,
    ):
        """The safeguard: continue leaders until the best scores are converged.

        Each round takes the ``n_continued`` best candidates by the current
        mean test scores, continues those whose score is still a budgeted
        one (on the folds where they stopped at ``warm_max_iter``), and
        rescores; it stops when the ``n_continued`` best all have scores of
        fits that stopped on their own. Every round is one parallel call
        whose tasks and results do not depend on ``n_jobs``.

        Returns
        -------
        results : dict
            ``cv_results_`` from the final scores (``out`` is updated in
            place).
        """
        settings = self._task_settings(scorers, routed_params)
        while True:
            ranked = leaders.ranking(results, refit_metric)
            chosen = [
                index
                for index in ranked[: self.n_continued]
                if index in leaders.stopped
            ]
            if not chosen:
                return results
            if self.verbose > 0:
                print(
                    f"Continuing {len(chosen)} leading candidates with the "
                    "estimator's stopping rule on the folds where they "
                    f"stopped at warm_max_iter={self.warm_max_iter}"
                )
            continuation = leaders.continue_candidates(
                chosen,
                parallel,
                delayed(_continue_and_score),
                X,
                y,
                candidate_params,
                out,
                settings,
            )
            _warn_or_raise_about_fit_failures(continuation, self.error_score)
            if callable(self.scoring):
                _insert_error_scores(out, self.error_score)
            results = self._format_results(
                candidate_params, self.n_splits_, out, more_results
            )

    def _path_length(self, index):
        """How many fits the path to candidate ``index`` takes."""
        length = 0
        while index >= 0:
            length += 1
            index = self.warm_start_from_[index]
        return length

    def _fit_along_path(self, X, y, index, candidate_params, fit_params, context=None):
        """Fit candidate ``index`` on X, y along its path, as on each fold.

        The candidates from the cold start of its chain to it (following
        ``warm_start_from_``) are fitted in turn, each warm-started from the
        previous one; the pipeline's pre-steps are fitted once.
        """
        path = []
        while index >= 0:
            path.append(candidate_params[index])
            index = self.warm_start_from_[index]
        return _fit_path(
            clone(self.estimator),
            X,
            y,
            path[::-1],
            fit_params,
            budget=self.warm_max_iter,
            resume=self._resume_optimizer,
            context=context,
            caller=self,
        )
