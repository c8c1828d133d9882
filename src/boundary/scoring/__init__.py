"""Scoring stored samples with a model: perplexity (PPL_M(Y_S)) and token-level entropy.

    from boundary.scoring import score_perplexity, perplexity_matrix, token_entropy
    score_perplexity("runs/qwen", "base", samples_per_problem=32)   # PPL_base(Y_S) for every model S
    for cell in perplexity_matrix("runs/qwen"):
        print(cell.scorer, cell.model, cell.mean_of_medians)
"""

from boundary.scoring.engines import (Scorer, TransformersScorer, VLLMScorer, create_scorer,
                                      scorer_from_backend)
from boundary.scoring.entropy import (EntropyMatch, TokenEntropy, entropy_matched, match_temperature,
                                      token_entropy)
from boundary.scoring.perplexity import (PerplexityCell, PerplexitySummary, ProblemPerplexity,
                                         perplexity_by_problem, perplexity_matrix, perplexity_values,
                                         score_perplexity)

__all__ = ["Scorer", "VLLMScorer", "TransformersScorer", "create_scorer", "scorer_from_backend",
           "score_perplexity", "perplexity_by_problem", "perplexity_matrix", "perplexity_values",
           "PerplexitySummary", "PerplexityCell", "ProblemPerplexity",
           "token_entropy", "TokenEntropy", "match_temperature", "entropy_matched", "EntropyMatch"]
