"""Reports: what a run says, to people and to machines, from its RunResult.

Owns the JSON document (`document`: the interface every other report reads) and its schema
(`schema`), the terminal summary (`terminal`), the plan as text (`plan_text`, for --plan), the
sign-off page (`signoff`, Jinja2 templates), baseline comparison (`baseline`), the latency
chart (`latency_svg`), GitHub Actions outputs (`github`), Allure results (`allure`), how the
run was made as a person types it (`provenance`), the output paths and baseline checked before
a run starts (`outputs`) and the run history's entry and trends (`history`). Sends nothing.

May import: _bundled, config, engine, history, judge, records, sanitize, __version__.
"""
