"""Who is told what, free of HTTP and SQL."""
