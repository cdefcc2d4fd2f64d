"""Loading a contract file: every problem becomes one ContractError line naming the field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from harness.contract.model import Contract

MAX_CONTRACT_BYTES = 1024 * 1024


class ContractError(Exception):
    """The contract file is missing, not YAML, or does not match the schema."""


def load_contract(path: str | Path) -> Contract:
    """Read and validate a contract file; every problem becomes one ContractError line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONTRACT_BYTES:
            raise ContractError(f"contract file {path} is larger than 1 MiB")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"contract file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read contract file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ContractError(f"contract file {path} is not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ContractError(f"contract file {path} must be a YAML mapping at the top level")
    try:
        return Contract.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContractError(f"contract file {path} is invalid: {problems}") from None
