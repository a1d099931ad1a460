"""The chat API family."""
