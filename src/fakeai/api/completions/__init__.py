"""The completions API family."""
