"""`python -m harness schema`: the contract's JSON Schema, from the pydantic model
(`--report`: the report document's)."""

from __future__ import annotations

import json

from harness.contract import Contract


def contract_schema() -> dict[str, object]:
    schema = Contract.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "smoke-harness contract"
    return schema


def print_schema(report: bool = False) -> int:
    if report:
        from harness.reports.schema import report_schema

        print(json.dumps(report_schema(), indent=2))
        return 0
    print(json.dumps(contract_schema(), indent=2))
    return 0
