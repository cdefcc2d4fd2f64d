"""Judging: evidence in, outcomes and root causes out.

Owns the cause registry (`causes`), findings (`findings`), the normal form of real answers
(`normalise`), the rules (`rules/`, one family per module), the outcome of every check with
blocked and known issues (`outcomes`), the causal ranking with correlated summaries
(`root_causes`) and the verdict (`verdict`). May import `harness.contract`, `harness.plan`,
`harness.records.http` and `harness.sanitize`; never sends anything.
"""
