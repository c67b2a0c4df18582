"""The notifications service: the right people learn of every step."""
