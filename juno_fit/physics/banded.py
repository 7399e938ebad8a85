"""Column-banded matrices: the fold matrix (E_ν nodes → fine E_dep bins) and the response matrix
(fine E_dep bins → reconstructed bins) both map each input column onto a short run of consecutive
output rows. Column j holds rows ``row0[j] : row0[j] + (ptr[j+1] − ptr[j])`` with values
``values[ptr[j] : ptr[j+1]]``.

Kernel :func:`matvec_kernel` (Numba) and its twin :func:`matvec_numpy` compute y = M x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._numba import kernel


@dataclass(frozen=True)
class BandedMatrix:
    row0: np.ndarray
    ptr: np.ndarray
    values: np.ndarray
    n_rows: int

    @property
    def n_cols(self) -> int:
        return len(self.row0)

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n_rows, self.n_cols))
        for j in range(self.n_cols):
            seg = self.values[self.ptr[j] : self.ptr[j + 1]]
            out[self.row0[j] : self.row0[j] + len(seg), j] = seg
        return out

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return matvec_kernel(self.row0, self.ptr, self.values, self.n_rows, np.ascontiguousarray(x, dtype=float))


def matvec_numpy(matrix: BandedMatrix, x: np.ndarray) -> np.ndarray:
    """y = M x through the dense matrix (reference twin)."""
    return matrix.dense() @ x


@kernel
def matvec_kernel(row0, ptr, values, n_rows, x):
    """y = M x for a column-banded M."""
    y = np.zeros(n_rows)
    for j in range(row0.shape[0]):
        xj = x[j]
        if xj == 0.0:
            continue
        r = row0[j]
        for t in range(ptr[j], ptr[j + 1]):
            y[r] += values[t] * xj
            r += 1
    return y


def rmatvec_numpy(matrix: BandedMatrix, y: np.ndarray) -> np.ndarray:
    """x = Mᵀ y through the dense matrix (reference twin)."""
    return matrix.dense().T @ y


@kernel
def rmatvec_kernel(row0, ptr, values, y):
    """x = Mᵀ y for a column-banded M (the adjoint of :func:`matvec_kernel`)."""
    n_cols = row0.shape[0]
    x = np.zeros(n_cols)
    for j in range(n_cols):
        acc = 0.0
        r = row0[j]
        for t in range(ptr[j], ptr[j + 1]):
            acc += values[t] * y[r]
            r += 1
        x[j] = acc
    return x


def from_dense(matrix: np.ndarray) -> BandedMatrix:
    """The column-banded form of a dense matrix: each column from its first to its last non-zero row."""
    n_rows, n_cols = matrix.shape
    nz = matrix != 0.0
    any_nz = nz.any(axis=0)
    first = np.where(any_nz, np.argmax(nz, axis=0), 0)
    last = np.where(any_nz, n_rows - 1 - np.argmax(nz[::-1], axis=0), -1)
    lengths = np.maximum(last - first + 1, 0)
    ptr = np.zeros(n_cols + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(lengths)
    values = np.empty(int(ptr[-1]))
    for j in range(n_cols):
        values[ptr[j] : ptr[j + 1]] = matrix[first[j] : first[j] + lengths[j], j]
    return BandedMatrix(first.astype(np.int64), ptr, values, n_rows)
