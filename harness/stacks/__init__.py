"""Stacks: the platforms a run can be pointed at, prepared before the plan and started after.

Owns the embedded reference stack (`reference/`), throwaway containers (`hermetic`), a user's
compose project (`compose`), the Docker plumbing they share (`docker`, `sweep`, `wait`), why a
start failed (`errors`), and preparing and starting whichever the config names (`start`: a
URL, the ngrok agent's URL, the embedded stack, containers).

May import: config, probes, process, sanitize, __version__.
"""
