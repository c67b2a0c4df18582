"""The plans service: the directory of units and users, and the action plans they write."""
