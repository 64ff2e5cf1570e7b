"""Which engine computes the training step: NumPy, or numba's compiled kernels.

The NumPy engine (:mod:`skreg._functions`, :mod:`skreg._penalties`,
:mod:`skreg._optimizers`) is always there and is the reference. The numba
engine (:mod:`skreg._kernels`) needs the optional dependency numba
(``pip install "skreg[numba]"``); importing skreg never imports it, so that
skreg imports fast and works without it.

``engine='auto'`` picks one per fit (:func:`resolve_auto`): numba only when
the fit is long enough to repay what loading numba costs a fresh process,
and without importing numba otherwise.
"""

import importlib
import importlib.util
import os
import traceback
from dataclasses import dataclass, field

from ._functions import ACTIVATIONS, DERIVATIVES, LOSSES
from ._optimizers import solver_name
from ._warnings import warn

#: How to install the numba engine's dependency.
NUMBA_INSTALL_HINT = 'pip install "skreg[numba]"'

# What 'auto' weighs (see FitWork.numba_saving), measured on this project's
# 2-core machine on 2026-12-05, float64, adam, relu, l1 and l2 weights. The
# decision depends on the ratio of the load to the savings, which a faster or
# slower processor scales alike.
#: Seconds a fresh process spends before its first numba kernel runs, warm
#: cache: importing numba (0.24 to 0.34 s), starting its code generator with
#: the first cached kernel (0.16 to 0.19 s), loading the others a fit uses
#: (2 to 6 ms each). A tiny fit in a fresh process took 0.5 s more CPU time
#: with numba than with NumPy (median of 10 pairs of processes).
NUMBA_LOAD_SECONDS = 0.5
# The savings: numpy's and numba's epoch times, alternating fits in one
# process after a first numba fit (BLAS on one thread; the savings are the
# element-wise passes, which BLAS's threads do not change), fitted by least
# squares of the relative errors over five workloads: 20,000 x 200 in batches
# of 16 (121 ms saved per epoch), 10,000 x 20 in batches of 32 (8.8 ms),
# digits (0.74 ms), 5,000 x 50 with (256, 128) (12.7 ms) and 50,000 x 100 with
# (256, 128) (263 ms). The rule predicts the first four within 8% and the
# last at half its saving: on data larger than the caches, it errs towards
# NumPy.
#: Seconds the fused step saves per mini-batch step, whatever its size: the
#: NumPy step's few dozen calls (penalty terms per layer, optimizer update)
#: against one compiled call (fitted: 20.1 us).
STEP_SAVING_SECONDS = 20e-6
#: Seconds the fused penalty-and-update pass saves per parameter and step
#: (fitted: 5.8 ns).
PARAMETER_SAVING_SECONDS = 5e-9
#: Seconds the fused bias-activation, derivative and loss passes save per
#: sample, unit (hidden or output) and pass over the data (fitted: 2.8 ns).
UNIT_SAVING_SECONDS = 3e-9


def numba_installed():
    """Whether numba is installed, without importing it.

    Returns
    -------
    installed : bool
        False also when ``sys.modules['numba']`` is None (how tests hide it).
    """
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


def numba_available():
    """Whether numba can be imported, so that the numba engine can run.

    Imports numba (once per process; later calls are a dictionary lookup),
    since an installed numba may still fail to import, for instance next to
    a NumPy release newer than it supports.

    Returns
    -------
    available : bool
    """
    try:
        importlib.import_module("numba")
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class FitWork:
    r"""An upper bound on the element-wise work of one fit, what numba speeds up.

    A fit may stop early (``tol``, ``n_iter_no_change``), so its length is
    not known in advance; the bound is what ``max_iter`` allows.

    Attributes
    ----------
    n_samples : int
        Rows of the training data.
    n_units : int
        Hidden and output units: the width of the bias-activation,
        derivative and loss passes, per sample.
    n_parameters : int
        Size of the flat parameter buffer.
    n_passes : int
        Passes over the data at most: epochs (``max_iter``, one for
        ``partial_fit``), or loss evaluations for lbfgs (``max_iter``).
    n_steps : int
        Mini-batch steps at most (passes times batches per pass); 0 for
        lbfgs, whose update is scipy's, not a kernel.
    """

    n_samples: int
    n_units: int
    n_parameters: int
    n_passes: int
    n_steps: int

    def numba_saving(self):
        r"""The seconds numba's kernels would save on this fit, estimated.

        .. math::

            s = n_\text{steps} (c_\text{step} + c_\text{param} P)
                + n_\text{passes}\, n_\text{samples}\, c_\text{unit} U,

        with :math:`P` parameters, :math:`U` units and the constants
        ``STEP_SAVING_SECONDS``, ``PARAMETER_SAVING_SECONDS`` and
        ``UNIT_SAVING_SECONDS``. The matrix products, BLAS's in both
        engines, save nothing and do not count.

        Returns
        -------
        seconds : float
        """
        per_step = STEP_SAVING_SECONDS + PARAMETER_SAVING_SECONDS * self.n_parameters
        per_pass = UNIT_SAVING_SECONDS * self.n_samples * self.n_units
        return self.n_steps * per_step + self.n_passes * per_pass


def resolve_auto(work):
    """What ``engine='auto'`` runs for a fit: 'numba' if it repays its load.

    numba is chosen when it is installed and :meth:`FitWork.numba_saving`
    exceeds ``NUMBA_LOAD_SECONDS``, so that a fit too short to repay the
    load runs on NumPy without importing numba. The rule depends on the
    fit's shape and parameters only, never on timings, so the same fit
    always runs on the same engine and gives the same result. A fit that
    stops early runs fewer epochs than the bound: it may load numba for a
    saving it does not reach (at most ``NUMBA_LOAD_SECONDS`` lost).

    (The test suite's ``--engine`` option replaces this function.)

    Parameters
    ----------
    work : FitWork

    Returns
    -------
    name : {'numpy', 'numba'}
    """
    if work.numba_saving() > NUMBA_LOAD_SECONDS and numba_installed():
        return "numba"
    return "numpy"


class NumbaCache:
    """What went wrong with numba's disk cache of the kernels, once per process.

    numba keeps the compiled kernels on disk (``cache=True``) and loads them
    in every new process. A damaged cache (files truncated, emptied or
    overwritten) makes numba raise while loading, at a kernel's first call;
    a read-only install without a writable home folder leaves it nowhere to
    write (the kernels then compile in memory, :data:`skreg._kernels.
    CACHE_UNAVAILABLE`). Neither may take the default engine down: once a
    problem is known, ``engine='auto'`` trains with NumPy for the rest of the
    process, and ``engine='numba'`` compiles the kernels in memory; each says
    so once, with the cause and the fix.

    Attributes
    ----------
    problem : str or None
        The failure, as the warning names it; None while the cache works.
    """

    def __init__(self):
        self.problem = None
        self.bypassed = False

    @staticmethod
    def raised(error):
        """Whether ``error`` comes from numba's caching (a load or a write).

        Parameters
        ----------
        error : BaseException

        Returns
        -------
        from_cache : bool
        """
        caching = os.path.join("numba", "core", "caching.py")
        while error is not None:
            frames = traceback.extract_tb(error.__traceback__)
            if any(frame.filename.endswith(caching) for frame in frames):
                return True
            error = error.__cause__ or error.__context__
        return False

    def record(self, error, kernels):
        """Remember a damaged cache: the cause and where its files are."""
        folders = {
            dispatcher._cache.cache_path
            for dispatcher in kernels.dispatchers().values()
            if getattr(dispatcher._cache, "cache_path", None)
        }
        where = ", ".join(sorted(folders)) or "numba's cache folder"
        self.problem = (
            f"numba's cache of skreg's compiled kernels could not be loaded "
            f"({type(error).__name__}: {error}). To repair it, delete the "
            f"files _kernels*.nbi and _kernels*.nbc in {where}: numba writes "
            "them anew at the next fit"
        )

    def record_unavailable(self, kernels):
        """Remember that numba has nowhere to write the kernels' cache."""
        self.problem = (
            "numba has no writable folder for its cache of skreg's compiled "
            f"kernels ({kernels.CACHE_UNAVAILABLE}), so it would compile them "
            "(several seconds) in every process. Set the environment variable "
            "NUMBA_CACHE_DIR to a writable folder"
        )

    def bypass(self, kernels):
        """Compile every kernel in memory from now on, ignoring the disk cache."""
        from numba.core.caching import NullCache

        for dispatcher in kernels.dispatchers().values():
            dispatcher._cache = NullCache()
        self.bypassed = True


#: The process's record of numba's cache (see :class:`NumbaCache`).
NUMBA_CACHE = NumbaCache()


def load_kernels():
    """Import and return :mod:`skreg._kernels`, the compiled kernels.

    Returns
    -------
    kernels : module

    Raises
    ------
    ImportError
        If numba is missing or fails to import; the message says how to
        install it.
    """
    try:
        return importlib.import_module("skreg._kernels")
    except ImportError as error:
        raise ImportError(
            "The numba engine needs numba, an optional dependency of skreg; "
            f"install it with {NUMBA_INSTALL_HINT} (importing numba failed: "
            f"{error})."
        ) from error


#: The ``engine`` parameter's values.
ENGINE_NAMES = ("auto", "numpy", "numba")


def numpy_bias_activation(activation):
    """``Z += b`` then ``activation(Z)`` in place: the NumPy reference pass."""

    def bias_activation(Z, bias):
        Z += bias
        activation(Z)

    return bias_activation


@dataclass(frozen=True)
class Engine:
    r"""The functions that compute a training step's element-wise passes.

    Every table has the signatures of the NumPy reference in
    :mod:`skreg._functions`; the forward and backward passes
    (:mod:`skreg._network`) and :class:`~skreg._training.TrainStep` call
    them, whichever engine it is.

    Attributes
    ----------
    name : str
        'numpy' or 'numba'.
    bias_activations : dict of str to callable
        ``f(Z, bias)``: :math:`Z \leftarrow f(Z + b)` in place, by hidden
        activation ('identity' for the output layer).
    derivatives : dict of str to callable
        ``f(A, delta)``: :math:`\Delta \leftarrow \Delta \odot f'(Z)`, from
        :math:`A = f(Z)`.
    losses : dict of str to callable
        ``f(Z, Y, sample_weight) -> loss``, overwriting the logits ``Z``
        with the loss's gradient.
    fused_steps : dict of type to callable
        By optimizer class, ``f(optimizer, params, gradient, segments,
        proximal) -> penalty``: the penalty's gradient, the update and the
        proximal step in one pass; empty for NumPy, whose step is
        :class:`~skreg._training.TrainStep`'s passes.
    fuse_penalty : callable or None
        ``f(penalty) -> segments``, the penalty as the fused steps take it;
        raises ValueError for a term they do not compute.
    fused_terms : frozenset of type
        The penalty terms the fused steps compute; a penalty with another
        term is stepped with NumPy's passes, which :meth:`numpy_passes`
        names so that the fit can say so.
    """

    name: str
    bias_activations: dict
    derivatives: dict
    losses: dict
    fused_steps: dict = field(default_factory=dict)
    fuse_penalty: object = None
    fused_terms: frozenset = frozenset()

    def fused_step(self, penalty, optimizer_class):
        """The fused penalty-and-update pass for this optimizer and penalty.

        Parameters
        ----------
        penalty : NetworkPenalty
        optimizer_class : type

        Returns
        -------
        step : callable or None
            None when the engine has no kernel for the optimizer or for one
            of the penalty's terms: the step then runs NumPy's passes.
        """
        step = self.fused_steps.get(optimizer_class)
        if step is None or self.numpy_passes(penalty, optimizer_class):
            return None
        return step

    def numpy_passes(self, penalty, optimizer_class):
        """What a compiled engine leaves to NumPy's passes in a training step.

        Parameters
        ----------
        penalty : NetworkPenalty
        optimizer_class : type

        Returns
        -------
        missing : list of str
            Empty when the engine computes the whole step (always for the
            NumPy engine, which is the reference); otherwise the parameters,
            as the user wrote them, that no kernel computes.
        """
        if not self.fused_steps:
            return []
        missing = []
        if optimizer_class not in self.fused_steps:
            missing.append(f"solver={solver_name(optimizer_class)!r}")
        for entry in penalty.entries:
            if entry.term not in self.fused_terms and entry.label not in missing:
                missing.append(entry.label)
        return missing


def numpy_engine():
    """The reference engine: NumPy's passes, as :mod:`skreg._functions` writes them."""
    return Engine(
        name="numpy",
        bias_activations={
            name: numpy_bias_activation(ACTIVATIONS[name]) for name in DERIVATIVES
        },
        derivatives=dict(DERIVATIVES),
        losses=dict(LOSSES),
    )


def numba_engine():
    """The compiled engine: numba's fused kernels where there is one.

    A loss without a kernel would keep NumPy's function.

    Raises
    ------
    ImportError
        If numba is missing, naming the extra to install.
    """
    kernels = load_kernels()
    return Engine(
        name="numba",
        bias_activations=dict(kernels.BIAS_ACTIVATIONS),
        derivatives=dict(kernels.DELTA_DERIVATIVES),
        losses={**LOSSES, **kernels.LOSS_GRADIENTS},
        fused_steps=dict(kernels.FUSED_STEPS),
        fuse_penalty=kernels.segment_arrays,
        fused_terms=kernels.FUSED_TERMS,
    )


def make_engine(name, work):
    """The engine an estimator's ``engine`` parameter names, for one fit.

    Parameters
    ----------
    name : {'auto', 'numpy', 'numba'}
        'auto' is what :func:`resolve_auto` says for this fit's work.
    work : FitWork
        The fit's work, which 'auto' weighs.

    Returns
    -------
    engine : Engine

    Raises
    ------
    ImportError
        For 'numba' without numba installed, naming the extra.

    Warns
    -----
    UserWarning
        For 'auto' resolved to numba when numba is installed but importing
        it fails: the fit runs on NumPy.
    """
    if name == "auto":
        name = resolve_auto(work)
        if name == "numba" and not numba_available():
            warn(
                "engine='auto' chose numba for this fit, but importing numba "
                "failed; training with NumPy instead (reinstall it with "
                f"{NUMBA_INSTALL_HINT}, or pass engine='numpy').",
                UserWarning,
            )
            name = "numpy"
        if name == "numba" and NUMBA_CACHE.problem is None:
            kernels = load_kernels()
            if kernels.CACHE_UNAVAILABLE is not None:
                NUMBA_CACHE.record_unavailable(kernels)
                warn(
                    f"{NUMBA_CACHE.problem}. engine='auto' trains with NumPy "
                    "in this process meanwhile.",
                    UserWarning,
                )
        if name == "numba" and NUMBA_CACHE.problem is not None:
            name = "numpy"
    if name == "numpy":
        return NUMPY_ENGINE
    return numba_engine()


def recover_from_cache_failure(error, engine_name):
    """After a fit failed in numba's cache: whether to fit again, and how.

    Records the failure (:data:`NUMBA_CACHE`) and warns once, naming the
    cause and the fix. Afterwards ``engine='auto'`` trains with NumPy in
    this process and ``engine='numba'`` compiles the kernels in memory.

    Parameters
    ----------
    error : BaseException
        What the fit raised.
    engine_name : {'auto', 'numpy', 'numba'}
        The estimator's ``engine`` parameter.

    Returns
    -------
    retry : bool
        True when the failure was the cache's and a second fit can avoid
        it; False for any other error (to be raised as it is).
    """
    if engine_name == "numpy" or not NumbaCache.raised(error):
        return False
    kernels = load_kernels()
    if engine_name == "numba":
        if NUMBA_CACHE.bypassed:
            return False
        NUMBA_CACHE.record(error, kernels)
        NUMBA_CACHE.bypass(kernels)
        warn(
            f"{NUMBA_CACHE.problem}. engine='numba' compiles the kernels in "
            "memory in this process meanwhile (several seconds).",
            UserWarning,
        )
        return True
    if NUMBA_CACHE.problem is not None:
        return False
    NUMBA_CACHE.record(error, kernels)
    warn(
        f"{NUMBA_CACHE.problem}. engine='auto' trains with NumPy in this "
        "process meanwhile.",
        UserWarning,
    )
    return True


#: The reference engine, built once: what prediction always uses.
NUMPY_ENGINE = numpy_engine()
