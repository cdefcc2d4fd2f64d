"""The plan: the checks a run makes and the probes they need, known before anything is sent.

Owns the planner that turns a RunConfig into a Plan record (`build`, with the REST, socket
and health parts in their own modules, the token variants in `tokens`), the conditional
follow-ups as data, and the budget fitting (`budget`). Never sends anything.

May import: config, contract, records, sanitize.
"""

from harness.plan.build import build_plan

__all__ = ["build_plan"]
