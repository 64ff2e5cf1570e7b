"""In-place BLAS: ``y += a * x``, ``x *= a`` and ``C += A @ B``.

The optimizers and penalties update every parameter of the network at each
step. BLAS does ``y += a * x`` in one pass with no temporary, where NumPy
needs two passes and a scratch array. Likewise ``C += A @ B`` lets a layer
start from its bias and accumulate the matrix product onto it, which saves
the separate pass of adding the bias afterwards.
"""

import numpy as np
from scipy.linalg.blas import get_blas_funcs

_NAMES = ("axpy", "scal", "gemm")
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


def gemm_accumulate(A, B, C):
    """``C += A @ B`` in place, for C-contiguous matrices.

    BLAS works on column-major matrices; a C-contiguous matrix is the
    column-major storage of its transpose, so this computes
    :math:`C^\\top \\mathrel{+}= B^\\top A^\\top` on the transposed views,
    without any copy.

    Parameters
    ----------
    A : ndarray of shape (n, k)
    B : ndarray of shape (k, m)
    C : ndarray of shape (n, m)
        Updated in place; all three C-contiguous and of the same dtype.
    """
    _ROUTINES[C.dtype]["gemm"](1.0, B.T, A.T, beta=1.0, c=C.T, overwrite_c=True)
