"""The contract: what the platform under test promises, as a validated YAML document.

Owns the pydantic model (`model`), loading with one-line errors (`load`) and the JSON Schema
(`Contract.model_json_schema()`).

May import: nothing else of the harness.
"""

from harness.contract.load import ContractError, load_contract
from harness.contract.model import Contract, Route

__all__ = ["Contract", "ContractError", "Route", "load_contract"]
