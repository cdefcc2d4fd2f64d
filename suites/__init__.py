"""Contract suites run against a target: rest, socket and health."""
