"""Sampling: the request value objects, the engines (backends) and the stage that fills a run.

>>> from boundary.sampling import SamplingParams
>>> SamplingParams(temperature=0.6, top_p=0.95, max_tokens=512).temperature
0.6
"""

from boundary.sampling.backends import Backend, backend_names, create_backend, register_backend, unregister_backend
from boundary.sampling.seeds import derive_seed
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams

__all__ = ["SamplingParams", "ChunkRequest", "Completion", "Backend", "register_backend", "unregister_backend",
           "create_backend", "backend_names", "derive_seed"]
