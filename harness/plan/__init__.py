"""The plan: the checks a run makes and the probes they need, known before anything is sent.

Owns the check and probe records (`model`), the planner that turns a contract and a RunConfig
into a Plan (`build`, with the REST, socket and health parts in their own modules) and the
budget fitting (`budget`). May import `harness.config`, `harness.contract`, `harness.records.http`
and `harness.probes.tokens`; never sends anything.
"""

from harness.plan.build import build_plan
from harness.records.plan import Check, Family, Plan, SessionSpec

__all__ = ["Check", "Family", "Plan", "SessionSpec", "build_plan"]
