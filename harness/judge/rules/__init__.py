"""Rules: small named functions from normalised evidence to a Finding (or None: it holds).

One family per module: `leaks` (answers that are not the route's own), `rest`, `health`,
`socket`, `logs`. Each rule names the cause it gives and never applies a cause to a status the
cause does not describe.
"""
