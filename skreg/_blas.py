"""In-place level-1 BLAS on the flat buffers: ``y += a * x`` and ``x *= a``.

The optimizers and penalties update every parameter of the network at each
step. BLAS does ``y += a * x`` in one pass with no temporary, where NumPy
needs two passes and a scratch array.
"""

import numpy as np
from scipy.linalg.blas import get_blas_funcs

_NAMES = ("axpy", "scal")
_ROUTINES = {
    np.dtype(dtype): dict(zip(_NAMES, get_blas_funcs(_NAMES, dtype=dtype), strict=True))
    for dtype in (np.float32, np.float64)
}


def axpy(alpha, x, y):
    """``y += alpha * x`` in place.

    Parameters
    ----------
    alpha : float
    x : ndarray of shape (n,)
    y : ndarray of shape (n,)
        Contiguous, of the same dtype as ``x``; updated in place.
    """
    _ROUTINES[y.dtype]["axpy"](x, y, a=alpha)


def scal(alpha, x):
    """``x *= alpha`` in place.

    Parameters
    ----------
    alpha : float
    x : ndarray of shape (n,)
        Contiguous; updated in place.
    """
    _ROUTINES[x.dtype]["scal"](alpha, x)
