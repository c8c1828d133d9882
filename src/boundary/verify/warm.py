"""Imported once by the math verifier's forkserver (``MathVerifier`` lists it in ``preload``).

Grading a few typical pairs there builds math-verify's parser tables (ANTLR builds its DFA lazily,
in each process), SymPy's caches and the normalizer's compiled patterns once; every worker forked
from the forkserver, including the replacements of killed or recycled workers, starts warm.
"""

from boundary.verify.math import warm_up

warm_up()
