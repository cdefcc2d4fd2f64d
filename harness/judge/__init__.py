"""Judging: evidence in, outcomes and root causes out.

Owns the cause registry (`causes`), findings (`findings`), the kinds of check with their rules
registered by decorator (`kinds`, rules in `rules/`, one family per module, the preflight's in
`rules/preflight`), the view every rule gets (`judge`), the normal form of real answers
(`normalise`), the follow-ups the first pass asks for (`follow`), every check's outcome with
blocked and known issues (`outcomes`), the causal ranking (`root_causes`), the verdict
(`verdict`) and the judged run (`result`). Never sends anything.

May import: config, contract, records, sanitize.
"""
