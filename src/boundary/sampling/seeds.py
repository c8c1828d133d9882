"""Seeds derived from a sample chunk's identity.

Chunk j of problem p of benchmark b for model m gets ``derive_seed(run_seed, m, b, p, j)``: a
rerun of the same spec draws the same samples on the same engine, and raising n from 256 to
1024 only adds chunks 4..15 (with chunk_size 64) without touching chunks 0..3. The hash keeps
seeds of different chunks unrelated (no seed+1 collisions between neighbouring problems).
"""

from __future__ import annotations

import hashlib

_SEP = "\x1f"
_MASK = 2**63 - 1


def derive_seed(run_seed: int, model: str, benchmark: str, problem_id: str, chunk_index: int) -> int:
    """A 63-bit seed, stable across Python versions and machines.

    Examples:
        >>> derive_seed(0, "base", "aime24", "0", 0) == derive_seed(0, "base", "aime24", "0", 0)
        True
        >>> derive_seed(0, "base", "aime24", "0", 0) != derive_seed(0, "base", "aime24", "0", 1)
        True
    """
    key = _SEP.join((str(int(run_seed)), model, benchmark, problem_id, str(int(chunk_index))))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & _MASK


def chunk_seeds(run_seed: int, model: str, benchmark: str, problem_id: str, chunks: int) -> list[int]:
    """``derive_seed(run_seed, model, benchmark, problem_id, j)`` for j in ``0 .. chunks-1``, the
    key's common prefix hashed once (planning a large store derives millions of seeds).

    Examples:
        >>> chunk_seeds(0, "base", "aime24", "0", 3) == [derive_seed(0, "base", "aime24", "0", j) for j in range(3)]
        True
    """
    prefix = hashlib.sha256(_SEP.join((str(int(run_seed)), model, benchmark, problem_id, "")).encode())
    out = []
    for j in range(chunks):
        h = prefix.copy()
        h.update(b"%d" % j)
        out.append(int.from_bytes(h.digest()[:8], "big") & _MASK)
    return out
