"""The system API family."""
