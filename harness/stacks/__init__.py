"""Stacks: the platforms a run can be pointed at when no URL is given.

Owns the embedded reference stack (`reference/`), throwaway containers (`hermetic`), a user's
compose project (`compose`) and the Docker plumbing they share (`docker`). May import
`harness.sanitize`; nothing else in the harness imports a stack except through `harness.stacks`.
"""
