"""The hash chain, free of HTTP and SQL."""
