"""The models API family."""
