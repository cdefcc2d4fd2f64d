"""The embedded reference stack: a Python gateway and messaging service with switchable faults."""

from harness.reference.faults import FAULTS, parse_faults
from harness.reference.stack import ReferenceStack

__all__ = ["FAULTS", "ReferenceStack", "parse_faults"]
