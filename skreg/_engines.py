"""Which engine computes the training step: NumPy, or numba's compiled kernels.

The NumPy engine (:mod:`skreg._functions`, :mod:`skreg._penalties`,
:mod:`skreg._optimizers`) is always there and is the reference. The numba
engine (:mod:`skreg._kernels`) needs the optional dependency numba
(``pip install "skreg[numba]"``); importing skreg never imports it, so that
skreg imports fast and works without it.
"""

import importlib
from dataclasses import dataclass, field

from ._functions import ACTIVATIONS, DERIVATIVES, LOSSES

#: How to install the numba engine's dependency.
NUMBA_INSTALL_HINT = 'pip install "skreg[numba]"'


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
        raises ValueError for a term they do not compute (the step then
        keeps NumPy's passes).
    """

    name: str
    bias_activations: dict
    derivatives: dict
    losses: dict
    fused_steps: dict = field(default_factory=dict)
    fuse_penalty: object = None


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
    )


def make_engine(name):
    """The engine an estimator's ``engine`` parameter names.

    Parameters
    ----------
    name : {'auto', 'numpy', 'numba'}
        'auto' is numba when it imports, else NumPy.

    Returns
    -------
    engine : Engine

    Raises
    ------
    ImportError
        For 'numba' without numba installed, naming the extra.
    """
    if name == "numpy" or (name == "auto" and not numba_available()):
        return NUMPY_ENGINE
    return numba_engine()


#: The reference engine, built once: what prediction always uses.
NUMPY_ENGINE = numpy_engine()
