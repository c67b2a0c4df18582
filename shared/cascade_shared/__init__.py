"""Infrastructure and event contracts shared by every Cascade service."""
