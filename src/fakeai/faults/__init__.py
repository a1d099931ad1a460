"""Fault injection: rules (match + action + trigger) applied at the transport and stream seams."""
