"""The Engine.IO polling handshake answers a valid v4 open packet through the gateway."""

from __future__ import annotations

from harness.checks import polling_handshake_probe
from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.probe import HttpProber


def test_polling_handshake(target: TargetConfig, prober: HttpProber,
                           diagnoser: Diagnoser) -> None:
    violate(diagnoser.handshake(prober.result(polling_handshake_probe(target))))
