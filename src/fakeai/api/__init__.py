"""One package per OpenAI API family: protocol.py (wire types), service.py (semantics), routes.py (HTTP)."""
