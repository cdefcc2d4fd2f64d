"""Reports: what a run says, to people and to machines, from its RunResult.

Owns the JSON document (`document`: the interface every other report reads), the terminal
summary (`terminal`), the sign-off page (`signoff`, Jinja2 templates), baseline comparison
(`baseline`), the latency chart (`latency_svg`), GitHub Actions outputs (`github`) and Allure
labels (`allure`). May import `harness.engine`, `harness.judge`, `harness.plan` and
`harness.sanitize`; sends nothing.
"""
