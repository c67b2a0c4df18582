"""Results rules, free of HTTP and SQL."""
