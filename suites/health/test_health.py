"""The gateway's /api/health answers 200 with the documented document."""

from __future__ import annotations

from harness.checks import health_probe
from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.probe import HttpProber


def test_health_document(target: TargetConfig, prober: HttpProber, diagnoser: Diagnoser) -> None:
    violate(diagnoser.health(prober.result(health_probe(target))))
