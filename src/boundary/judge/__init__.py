"""Answer validity beyond the verifier: an LLM judge of chains of thought (CoT-pass@k) and the
guessability filter (problems a model answers without reasoning)."""
