"""The metrics API family."""
