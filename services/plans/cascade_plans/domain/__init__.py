"""Plan rules, free of HTTP and SQL."""
