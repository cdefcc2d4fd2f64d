"""REST contract suite: auth enforcement, leaks, bad input, happy path."""
