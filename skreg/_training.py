r"""The training core: the training step, the stochastic and lbfgs loops, stopping.

It takes the pieces the estimator built (a :class:`~skreg._network.Network`,
its :class:`~skreg._penalties.NetworkPenalty`, an optimizer, the data) and
returns a :class:`TrainingResult`; it knows no estimator and writes none.
The estimator validates the input, builds the pieces, calls
:func:`train_stochastic` or :func:`train_lbfgs`, and publishes the result.

:class:`TrainStep` is the only place where the data gradient, the penalty's
gradient, the optimizer's update and the proximal step meet:

.. math::

    g = \nabla_\theta\, \text{data loss}_B + \nabla \Omega_{\text{smooth}}
        (+ \nabla \Omega_{\text{non-smooth}}), \qquad
    \theta \leftarrow \operatorname{update}(\theta, g) \qquad
    (\theta \leftarrow \operatorname{prox}_{\eta \Omega_{\text{non-smooth}}}
    (\theta)).

:class:`StoppingRule` is scikit-learn's: stop once the monitored quantity
(training loss, or validation score with early stopping) has not improved by
``tol`` for more than ``n_iter_no_change`` epochs in a row.
"""

import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.utils import gen_batches
from threadpoolctl import ThreadpoolController

from ._functions import ACTIVATIONS, CONSTANT_LOGITS, LOSSES
from ._network import forward, ignore_stage
from ._optimizers import solver_name
from ._penalties import SplitL1
from ._polish import can_polish, polish_linear_model

#: lbfgs evaluates the full-batch loss this many rows at a time.
LBFGS_CHUNK_ROWS = 2048
#: L-BFGS-B's relative-decrease tolerance when the L1 terms are split: the
#: rounding level, so that ``tol`` (the projected gradient) decides when to
#: stop. scipy's default stops L-BFGS-B where it only slows down, while the
#: parts of a coordinate slide to their bound, short of the exact zeros.
LBFGS_FTOL_SPLIT = 64 * np.finfo(np.float64).eps
#: ... and on a smooth objective: scipy's default (``factr=1e7``), as
#: scikit-learn's MLP, so that a network stops where its loss stops
#: decreasing (measured on digits with a (32,) hidden layer and
#: ``l2_weight=1e-3``: 766 iterations, where the rounding level ran past
#: 5000); a network without hidden layer is then polished to its optimum
#: (:mod:`skreg._polish`).
LBFGS_FTOL_SMOOTH = 1e7 * np.finfo(np.float64).eps
#: L-BFGS-B's status when its line search finds no lower point: after the
#: orthant polish, the solution is then as precise as the line search allows.
LBFGS_STALLED = 2
#: lbfgs with l1_method='proximal': at most this many polishes after the
#: split (each releases the zeros whose optimality condition fails).
MAX_POLISH_ROUNDS = 10


class TrainingDiverged(ValueError):
    """The loss, the weights, the optimizer's state or the outputs became inf or NaN."""


#: How many times its starting scale a run's objective may reach before the
#: run counts as diverging (:class:`DivergenceGuard`). Measured over the test
#: suite, the gallery and the main job: legitimate fits stay below 1.3, spikes
#: on the estimator checks' unscaled inputs that still train reach 10;
#: diverging fits reach 445 (adam, learning rate 3, digits) and far beyond
#: (docs/user_guide/reliability.rst, "Divergence").
DIVERGENCE_RISE = 100.0


class DivergenceGuard:
    r"""Stop a run whose objective rises far above where it started.

        Training lowers the objective, on average over an epoch; a learning rate
        too large for the data makes it grow instead, by orders of magnitude per
        epoch, and it would reach infinity only after the model is ruined. The
        guard compares each epoch's objective (and, with early stopping, the
        held-out objective) with the run's *scale*,

        .. math::

            s = \maxig(L_0,\ L_{B_1}(	heta_0)ig) + \Omega(	heta_0),
            \qquad 	ext{diverged when}\quad L_	ext{epoch} >
    ho\, s,

        where :math:`L_0` is the data loss of the best constant model (the
        weighted mean target through the output function: the loss of knowing
        nothing about X), :math:`L_{B_1}(	heta_0)` the first batch's data loss
        at the run's starting parameters, :math:`\Omega(	heta_0)` the penalty
        there and :math:`
    ho` = :data:`DIVERGENCE_RISE`. A warm start from a good
        model keeps :math:`L_0` as the floor of the scale, so that an objective
        near zero can still move; a start worse than the constant model keeps its
        own loss. Both terms cost one pass over the targets, none over X.

    The held-out objective of early stopping is not checked: it measures how
    the model generalizes, and can rise far above the training scale without
    any divergence (60 times, measured, for a model fitted to four weighted
    samples); a divergence shows in the training objective first.

        Parameters
        ----------
        network : Network
            At the run's starting parameters.
        penalty : NetworkPenalty
        batches : MiniBatches
        scratch : ndarray of shape (n_parameters,)
        rise : float, default=DIVERGENCE_RISE
    """

    def __init__(self, network, penalty, batches, scratch, rise=DIVERGENCE_RISE):
        self.rise = rise
        Y, sample_weight = batches.Y, batches.sample_weight
        weights = sample_weight / batches.total_weight
        logits = CONSTANT_LOGITS[network.loss](weights @ Y)
        self.constant_loss = 0.0
        for rows in gen_batches(Y.shape[0], LBFGS_CHUNK_ROWS):
            Z = np.repeat(logits[np.newaxis, :], Y[rows].shape[0], axis=0)
            self.constant_loss += LOSSES[network.loss](Z, Y[rows], weights[rows])
        self.start_penalty = penalty.value(network.params, scratch)
        self.scale = None

    def first_batch(self, data_loss):
        """Set the scale from the run's first batch, at the starting parameters."""
        self.scale = max(self.constant_loss, data_loss) + self.start_penalty

    def check(self, objective):
        """Raise :class:`TrainingDiverged` if ``objective`` is beyond the bound.

        Parameters
        ----------
        objective : float
            An epoch's training objective.
        """
        if not objective <= self.rise * self.scale:
            raise TrainingDiverged(
                f"Training diverged: the objective rose to {objective:.6g}, "
                f"more than {self.rise:g} times its starting scale "
                f"{self.scale:.6g}"
            )


def check_finite(loss, *arrays):
    """Raise :class:`TrainingDiverged` unless the loss and every array are finite.

    Parameters
    ----------
    loss : float
    *arrays : ndarray
    """
    if not (np.isfinite(loss) and all(np.all(np.isfinite(a)) for a in arrays)):
        raise TrainingDiverged(
            "Training diverged: the loss, the weights, the optimizer's state or "
            "the outputs became infinite or NaN"
        )


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


def single_threaded_foreign_blas():
    """Limit every BLAS library but NumPy's to one thread, as a context manager.

    L-BFGS-B does its vector algebra with scipy's BLAS, which pip wheels ship
    as a library of its own, next to NumPy's that computes the network's
    matrix products. Each keeps a pool of threads that spin for a while after
    their work: alternating between the two makes the pools fight over the
    cores (a fit several times slower on two cores). scipy's calls are on
    vectors the size of the parameters, so one thread is all they need.

    Only in the main thread. threadpoolctl's limits are process-wide, and
    OpenBLAS ignores a limit set from any other thread (0.3.30 does): fits
    in several threads that each set and restore it would interleave, and
    one restored from a worker thread would leave the limit the main thread
    had set for the rest of the process. Fits in other threads leave the
    thread counts alone.

    Returns
    -------
    limiter : context manager
        A no-op outside the main thread, or when NumPy's BLAS is the only
        one loaded.
    """
    if threading.current_thread() is not threading.main_thread():
        return nullcontext()
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


class StoppingRule:
    r"""Stop when a quantity has not improved by ``tol`` for too many epochs.

    With the training loss :math:`L_e` of epoch :math:`e` (minimised), an
    epoch improves when :math:`L_e \le \min_{e' < e} L_{e'} - \text{tol}`;
    with the validation score :math:`S_e` (maximised), when
    :math:`S_e \ge \max_{e' < e} S_{e'} + \text{tol}`. Training stops once
    more than ``n_iter_no_change`` epochs in a row did not improve (the
    optimizer's schedule may first lower its learning rate instead).

    Parameters
    ----------
    tol : float
    n_iter_no_change : int or float
        ``np.inf`` never stops.
    maximize : bool
        True for a score, False for a loss.
    best : float, default=None
        The best value so far (``partial_fit`` carries it over); None starts
        afresh.
    count : int, default=0
        Epochs in a row without improvement so far.

    Attributes
    ----------
    best : float
    count : int
    """

    def __init__(self, tol, n_iter_no_change, *, maximize, best=None, count=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.maximize = maximize
        self.best = (-np.inf if maximize else np.inf) if best is None else best
        self.count = count

    def update(self, value):
        """Record an epoch's value; return whether it is a new best.

        Returns
        -------
        new_best : bool
            Whether ``value`` beats every earlier one (by any margin): the
            weights worth keeping.
        """
        if self.maximize:
            improved = value >= self.best + self.tol
            new_best = value > self.best
            self.best = max(self.best, value)
        else:
            improved = value <= self.best - self.tol
            new_best = value < self.best
            self.best = min(self.best, value)
        self.count = 0 if improved else self.count + 1
        return new_best

    @property
    def exhausted(self):
        """Whether more than ``n_iter_no_change`` epochs in a row did not improve."""
        return self.count > self.n_iter_no_change

    def restart_count(self):
        """Forget the epochs without improvement (after a lower learning rate)."""
        self.count = 0


class TrainStep:
    r"""One step on one mini-batch: the data gradient, the penalty, the update.

    The network's engine computes it: NumPy's passes one after the other, or
    the numba engine's fused pass of the penalty and the update (the same
    arithmetic, to rounding).

    .. math::

        g = \nabla\,\text{data loss}_B(\theta) + \nabla \Omega(\theta), \qquad
        \theta \leftarrow \operatorname{update}(\theta, g),

    and with ``proximal`` the non-smooth terms are left out of :math:`g` and
    applied after the update by their proximal operator, with the
    optimizer's step size (see :meth:`~skreg._penalties.NetworkPenalty.prox`).

    Parameters
    ----------
    network : Network
    penalty : NetworkPenalty
    optimizer : Optimizer
    batch_size : int
        The largest batch the step will see.
    proximal : bool
        Whether the non-smooth terms go through their proximal operator.
    on_stage : callable, default=None
        Called with each stage's name ('forward', 'loss', 'backward',
        'penalty', 'optimizer') right after it: a profiler's timer
        (``benchmarks/profile_epoch.py``).

    Raises
    ------
    ValueError
        If ``proximal`` and a non-smooth term has no proximal operator.
    """

    def __init__(
        self, network, penalty, optimizer, batch_size, proximal, on_stage=None
    ):
        if proximal:
            penalty.require("prox", solver_name(type(optimizer)))
        self.network, self.penalty, self.optimizer = network, penalty, optimizer
        self.proximal = proximal
        self.workspace = network.workspace(batch_size)
        # The penalty is done with its scratch before the optimizer needs it.
        self.scratch = optimizer.scratch
        self.step_sizes = np.empty_like(network.params) if proximal else None
        self.on_stage = on_stage or ignore_stage
        # The engine's fused penalty-and-update pass, when it has one for this
        # optimizer and these terms; otherwise NumPy's passes below (the fit
        # has said so: Engine.numpy_passes).
        engine = network.engine
        self.fused = engine.fused_step(penalty, type(optimizer))
        self.segments = None
        if self.fused is not None:
            self.segments = engine.fuse_penalty(penalty)

    def __call__(self, X, Y, sample_weight):
        """Take the step on one batch; return its data loss and penalty.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)
            Normalized, summing to one.

        Returns
        -------
        data_loss, penalty : float
            Both at the parameters before the step.
        """
        network, penalty, optimizer = self.network, self.penalty, self.optimizer
        data_loss = network.loss_gradient(
            X, Y, sample_weight, self.workspace, self.on_stage
        )
        if self.fused is not None:
            # One pass: penalty gradient (and value), update, proximal step.
            penalty_value = self.fused(
                optimizer,
                network.params,
                network.gradient,
                self.segments,
                self.proximal,
            )
            self.on_stage("optimizer")
            return data_loss, penalty_value
        penalty_value = penalty.add_gradient(
            network.params,
            network.gradient,
            self.scratch,
            include_nonsmooth=not self.proximal,
        )
        if self.proximal:
            # add_gradient left the non-smooth terms out of the value too.
            penalty_value = penalty.value(network.params, self.scratch)
        self.on_stage("penalty")
        optimizer.update(network.params, network.gradient)
        if self.proximal:
            penalty.prox(
                network.params, optimizer.step_size(out=self.step_sizes), self.scratch
            )
        self.on_stage("optimizer")
        return data_loss, penalty_value


@dataclass
class Validation:
    """Held-out data for early stopping, and how to score it.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray
        The targets as the score function takes them (labels).
    Y : ndarray of shape (n_samples, n_outputs)
        The targets as the network fits them.
    sample_weight : ndarray of shape (n_samples,)
    score : callable
        ``score(outputs, y, sample_weight)``, higher is better.
    out_activation : str
        The network's output function, a key of ``ACTIVATIONS``.
    """

    X: object
    y: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray
    score: object
    out_activation: str

    def __post_init__(self):
        # The held-out data loss is a weighted mean, as the training one.
        self.weights = self.sample_weight / self.sample_weight.sum()

    def evaluate(self, network, penalty, scratch):
        """Score and penalized loss of the network on the held-out data.

        Returns
        -------
        score, loss, penalty_value : float
            The loss is the weighted mean data loss plus ``penalty_value``.

        Raises
        ------
        TrainingDiverged
            If the outputs overflowed.
        """
        logits = forward(self.X, network.coefs, network.intercepts, network.activation)[
            -1
        ]
        check_finite(0.0, logits)
        outputs = logits.copy()
        ACTIVATIONS[self.out_activation](outputs)
        score = self.score(outputs, self.y, self.sample_weight)
        weights = self.weights.astype(network.dtype, copy=False)
        penalty_value = penalty.value(network.params, scratch)
        # The loss overwrites the logits with its gradient (unused).
        loss = LOSSES[network.loss](logits, self.Y, weights) + penalty_value
        return score, loss, penalty_value


@dataclass
class TrainingResult:
    """What a training loop returns; the network holds the parameters.

    Attributes
    ----------
    n_iter : int
        Epochs (stochastic) or iterations (lbfgs) run by this call.
    n_samples_seen : int
        Training samples the solver saw in this call.
    loss_curve, penalty_curve : list of float
        This call's entries: total loss and its penalty part, per epoch.
    validation_scores, validation_loss_curve, validation_penalty_curve : list
        With early stopping, this call's held-out score, penalized loss and
        penalty per epoch; else empty.
    stopping : StoppingRule or None
        The stopping rule's state at the end (stochastic solvers).
    optimizer : Optimizer or None
    converged : bool
        False when the iteration budget ran out.
    stop_reason : str
        Why training stopped, for the message of a warning.
    stopped_by_hook : bool
        Whether ``on_epoch_end`` asked to stop (then ``converged`` is True:
        the stop was asked for, not a budget running out).
    final_loss : float
        The objective at the returned parameters.
    """

    n_iter: int = 0
    n_samples_seen: int = 0
    loss_curve: list = field(default_factory=list)
    penalty_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    validation_penalty_curve: list = field(default_factory=list)
    stopping: StoppingRule = None
    optimizer: object = None
    converged: bool = True
    stop_reason: str = ""
    stopped_by_hook: bool = False
    final_loss: float = np.nan


def train_stochastic(
    step,
    batches,
    stopping,
    *,
    max_epochs,
    random_state,
    samples_seen=0,
    first_epoch=1,
    validation=None,
    verbose=False,
    on_epoch_end=None,
):
    """Run epochs of mini-batch steps until the stopping rule or ``max_epochs``.

    Parameters
    ----------
    step : TrainStep
    batches : MiniBatches
    stopping : StoppingRule
        Monitors the validation score when ``validation`` is given, else
        the training loss.
    max_epochs : int
        One for ``partial_fit``.
    random_state : numpy.random.RandomState
        Shuffles the batches.
    samples_seen : int, default=0
        Samples seen before this call (the 'invscaling' schedule's time).
    first_epoch : int, default=1
        Number of this call's first epoch, for the verbose lines.
    validation : Validation, default=None
        Held-out data: the weights of the best validation score are kept.
    verbose : bool, default=False
        Print one line per epoch.
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(epoch)`` after each epoch, before the
        stopping rule's test; training stops there if it returns True (with
        ``validation``, at the best weights so far, as at any stop).

    Returns
    -------
    result : TrainingResult

    Raises
    ------
    TrainingDiverged
        When the loss, the weights, the optimizer's state or the validation
        outputs become inf or NaN.
    """
    network, optimizer = step.network, step.optimizer
    result = TrainingResult(optimizer=optimizer, stopping=stopping)
    best_params = network.params.copy() if validation is not None else None
    n_samples = batches.X.shape[0]
    guard = DivergenceGuard(network, step.penalty, batches, step.scratch)
    for epoch in range(first_epoch, first_epoch + max_epochs):
        weighted_loss = weighted_penalty = 0.0
        for X_part, Y_part, weights, batch_weight in batches.epoch(random_state):
            data_loss, penalty_value = step(X_part, Y_part, weights)
            if guard.scale is None:
                guard.first_batch(data_loss)
            weighted_loss += batch_weight * data_loss
            weighted_penalty += batch_weight * penalty_value

        epoch_penalty = weighted_penalty / batches.total_weight
        epoch_loss = weighted_loss / batches.total_weight + epoch_penalty
        # Adam's second moment overflows (a gradient beyond 1e154) while the
        # weights stay finite; kept, it would freeze those weights.
        check_finite(epoch_loss, network.params, *optimizer.state_arrays())
        guard.check(epoch_loss)
        result.n_iter += 1
        result.n_samples_seen += n_samples
        result.loss_curve.append(epoch_loss)
        result.penalty_curve.append(epoch_penalty)
        optimizer.iteration_ends(samples_seen + result.n_samples_seen)

        message = f"Iteration {epoch}, loss = {epoch_loss:.8f}, "
        message += f"data loss = {epoch_loss - epoch_penalty:.8f}, "
        message += f"penalty = {epoch_penalty:.8f}"
        if validation is not None:
            score, loss, penalty_value = validation.evaluate(
                network, step.penalty, step.scratch
            )
            result.validation_scores.append(score)
            result.validation_loss_curve.append(loss)
            result.validation_penalty_curve.append(penalty_value)
            message += f", validation score = {score:.6f}"
            if stopping.update(score):
                np.copyto(best_params, network.params)
        else:
            stopping.update(epoch_loss)
        if verbose:
            print(message)
        if on_epoch_end is not None and on_epoch_end(epoch):
            result.stopped_by_hook = True
            result.stop_reason = f"Stopped by on_epoch_end after epoch {epoch}."
            break

        if stopping.exhausted:
            measure = "Validation score" if validation is not None else "Training loss"
            stop_message = (
                f"{measure} did not improve more than tol={stopping.tol:f} for "
                f"{stopping.n_iter_no_change} consecutive epochs."
            )
            if optimizer.trigger_stopping(stop_message, verbose):
                result.stop_reason = stop_message
                break
            stopping.restart_count()
    else:
        result.converged = False
        result.stop_reason = (
            f"Stochastic optimizer: maximum iterations ({max_epochs}) reached "
            "and the optimization hasn't converged yet."
        )

    if validation is not None:
        np.copyto(network.params, best_params)
    result.final_loss = result.loss_curve[-1]
    return result


def train_lbfgs(
    network,
    penalty,
    X,
    Y,
    sample_weight,
    *,
    max_iter,
    max_fun,
    tol,
    proximal,
    first_iteration=1,
    verbose=False,
    on_epoch_end=None,
):
    r"""Minimise the full-batch objective with L-BFGS-B (scipy).

    With ``proximal``, the non-smooth terms are made smooth by their
    reformulations under bounds (:class:`~skreg._penalties.SplitL1`), and the
    solution is then polished on its face (:class:`~skreg._penalties.OrthantL1`)
    until every zero meets its optimality condition, within what is left of
    ``max_iter`` and ``max_fun``.

    A network without hidden layer is convex: once L-BFGS-B has converged,
    restricted Newton steps (:func:`~skreg._polish.polish_linear_model`)
    take it to the optimum, to rounding, rather than to the precision of the
    line search; not with ``l1_method='subgradient'`` and an L1 lambda (see
    :func:`~skreg._polish.can_polish`). A fit that ran out of ``max_iter``
    or ``max_fun`` is left where it stopped, and reported.

    Parameters
    ----------
    network : Network
        Starts from its parameters; ends with the solution in them.
    penalty : NetworkPenalty
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    max_iter, max_fun : int
        Budgets of iterations and loss evaluations.
    tol : float
        Tolerance on the projected gradient.
    proximal : bool
    first_iteration : int, default=1
        Number of this call's first iteration, for the verbose lines.
    verbose : bool, default=False
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(iteration)`` after each L-BFGS-B iteration;
        training stops there, without polishing, if it returns True.

    Returns
    -------
    result : TrainingResult

    Raises
    ------
    ValueError
        If ``proximal`` and a non-smooth term has no reformulation.
    TrainingDiverged
    """
    if proximal:
        penalty.require("lbfgs_reformulations", "lbfgs")
        phases = _reformulation_phases(penalty)
    else:
        # Nothing to split: SplitL1 of no entry is the identity (z = theta).
        phases = (SplitL1,)
    n_samples = X.shape[0]
    weights = (sample_weight / sample_weight.sum()).astype(network.dtype)
    # Full-batch loss in chunks: memory of one chunk, not of all rows.
    workspace = network.workspace(min(n_samples, LBFGS_CHUNK_ROWS))
    scratch = np.empty_like(network.params)
    accumulator = np.empty_like(network.params)
    result = TrainingResult()
    last = {}
    # Stop on tol (the projected gradient), on the relative decrease of the
    # loss (ftol), or on max_iter and max_fun (with a warning).
    splits = proximal and penalty.has_nonsmooth
    options = {
        "gtol": tol,
        "ftol": LBFGS_FTOL_SPLIT if splits else LBFGS_FTOL_SMOOTH,
    }

    def smooth_gradient():
        """The data loss; its gradient and the smooth terms' in network.gradient."""
        data_loss = network.loss_gradient_in_chunks(
            X, Y, weights, workspace, accumulator
        )
        penalty.add_gradient(
            network.params, network.gradient, scratch, include_nonsmooth=not proximal
        )
        return data_loss

    def objective(variables):
        last["nfev"] += 1
        reformulation.merge(variables, out=network.params)
        data_loss = network.loss_gradient_in_chunks(
            X, Y, weights, workspace, accumulator
        )
        last["penalty"] = penalty.value(
            network.params, scratch, include_nonsmooth=not proximal
        ) + reformulation.value(variables)
        penalty.add_gradient(
            network.params, network.gradient, scratch, include_nonsmooth=not proximal
        )
        last["loss"] = data_loss + last["penalty"]
        return last["loss"], reformulation.gradient(network.gradient)

    def record_iteration(variables):
        # L-BFGS-B calls back right after evaluating the accepted point.
        result.loss_curve.append(last["loss"])
        result.penalty_curve.append(last["penalty"])
        if verbose:
            print(
                f"Iteration {first_iteration + len(result.loss_curve) - 1}, "
                f"loss = {last['loss']:.8f}, "
                f"data loss = {last['loss'] - last['penalty']:.8f}, "
                f"penalty = {last['penalty']:.8f}"
            )
        last["nit"] += 1
        iteration = first_iteration + len(result.loss_curve) - 1
        if on_epoch_end is not None and on_epoch_end(iteration):
            result.stopped_by_hook = True
            last["stopped_at"] = variables.copy()
            raise StopIteration  # scipy >= 1.11 ends the minimization here

    def minimize(**extra_options):
        last["nit"] = last["nfev"] = 0
        try:
            return _minimize(**extra_options)
        except StopIteration:  # scipy < 1.11 lets the callback's request out
            return scipy.optimize.OptimizeResult(
                x=last["stopped_at"],
                fun=last["loss"],
                status=99,
                nit=last["nit"],
                nfev=last["nfev"],
            )

    def _minimize(**extra_options):
        return scipy.optimize.minimize(
            objective,
            reformulation.split(network.params),
            method="L-BFGS-B",
            jac=True,
            bounds=reformulation.bounds(),
            callback=record_iteration,
            options={
                **options,
                "maxiter": max_iter - result.n_iter,
                "maxfun": max_fun - n_evaluations,
                **extra_options,
            },
        )

    n_evaluations = 0
    with (
        np.errstate(over="ignore", invalid="ignore"),
        single_threaded_foreign_blas(),
    ):
        first, *polishes = phases
        reformulation = first(
            penalty.nonsmooth_entries if proximal else (), penalty.size
        )
        outcome = minimize()
        reformulation.merge(outcome.x, out=network.params)
        result.n_iter, n_evaluations = outcome.nit, outcome.nfev
        polish = polishes[0] if polishes else None
        for round_ in range(MAX_POLISH_ROUNDS if polish else 0):
            if result.stopped_by_hook or not np.isfinite(outcome.fun):
                break
            smooth_gradient()
            reformulation = polish(
                penalty.nonsmooth_entries,
                penalty.size,
                network.params,
                network.gradient,
            )
            # A polish that stalls has reached the line search's precision.
            converged = round_ > 0 and outcome.get("status", 0) in (0, LBFGS_STALLED)
            if (converged and reformulation.n_released == 0) or (
                result.n_iter >= max_iter or n_evaluations >= max_fun
            ):
                break
            # No test on the decrease: the face is smooth and well posed.
            outcome = minimize(ftol=0.0)
            reformulation.merge(outcome.x, out=network.params)
            # With every variable fixed by its bounds scipy evaluates once
            # and reports no iteration count.
            result.n_iter += outcome.get("nit", 0)
            n_evaluations += outcome.get("nfev", 1)
    check_finite(outcome.fun, network.params)
    status = outcome.get("status", 0)
    if result.stopped_by_hook:
        result.stop_reason = "Stopped by on_epoch_end."
    elif status != 0 and not (polish and status == LBFGS_STALLED):
        result.converged = False
        result.stop_reason = (
            f"lbfgs failed to converge after {result.n_iter} iterations "
            f"(status={status}): {outcome.message}. Increase max_iter or "
            "max_fun, or scale the data."
        )
    result.n_samples_seen = n_evaluations * n_samples
    result.final_loss = float(outcome.fun)
    if (
        result.converged
        and not result.stopped_by_hook
        and can_polish(network, penalty, proximal)
    ):
        # Convex: finish at the optimum, not at the line search's precision.
        point, _ = polish_linear_model(network, penalty, X, Y, sample_weight, proximal)
        result.final_loss = point.value
    if not result.loss_curve or result.loss_curve[-1] != result.final_loss:
        result.loss_curve.append(result.final_loss)
        result.penalty_curve.append(penalty.value(network.params, scratch))
    return result


def _reformulation_phases(penalty):
    """The reformulations the penalty's non-smooth terms share, in turn."""
    phases = {entry.term.lbfgs_reformulations for entry in penalty.nonsmooth_entries}
    if len(phases) != 1:
        raise ValueError(
            "solver='lbfgs' with l1_method='proximal' can reformulate one kind "
            "of non-smooth term at a time; the penalty has "
            f"{sorted(entry.label for entry in penalty.nonsmooth_entries)}."
        )
    return phases.pop()
