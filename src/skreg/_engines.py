"""Which engine computes the training step: NumPy, or numba's compiled kernels.

The NumPy engine (:mod:`skreg._functions`, :mod:`skreg._penalties`,
:mod:`skreg._optimizers`) is always there and is the reference. The numba
engine (:mod:`skreg._kernels`) needs the optional dependency numba
(``pip install "skreg[numba]"``); importing skreg never imports it, so that
skreg imports fast and works without it.
"""

import importlib

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
