"""Contract and smoke harness for a gateway + Socket.IO messaging platform."""

__version__ = "0.2.0"
