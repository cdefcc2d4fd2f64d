"""Settings shared by the reference gateway and messaging service."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from harness.stacks.reference.faults import FAULTS_ENV, parse_faults

SLOW_HEALTH_S = 1.5


@dataclass(frozen=True)
class ReferenceSettings:
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    username: str = "smoke-user"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)
    peer_username: str = "smoke-peer"
    peer_password: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)
    outsider_username: str = "smoke-outsider"
    outsider_password: str = field(default_factory=lambda: secrets.token_urlsafe(16),
                                   repr=False)
    faults: frozenset[str] = frozenset()
    mongo_url: str | None = None
    redis_url: str | None = None
    rate_limit: int = 1000
    rate_window_s: int = 900
    cors_origins: str | list[str] = "*"

    @classmethod
    def from_env(cls, **overrides: object) -> ReferenceSettings:
        """Settings from REFERENCE_* / MONGO_URL / REDIS_URL, then explicit overrides."""
        values: dict[str, object] = {"faults": parse_faults(os.environ.get(FAULTS_ENV))}
        env_map = {
            "jwt_secret": "REFERENCE_JWT_SECRET", "username": "REFERENCE_USERNAME",
            "password": "REFERENCE_PASSWORD", "mongo_url": "MONGO_URL", "redis_url": "REDIS_URL",
            "peer_password": "REFERENCE_PEER_PASSWORD",
            "outsider_password": "REFERENCE_OUTSIDER_PASSWORD",
        }
        values.update({key: os.environ[var] for key, var in env_map.items() if os.environ.get(var)})
        if os.environ.get("REFERENCE_RATE_LIMIT"):
            values["rate_limit"] = int(os.environ["REFERENCE_RATE_LIMIT"])
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def users(self) -> dict[str, str]:
        """Username -> password of every user the stack knows: the run's, a peer, an outsider."""
        return {self.username: self.password, self.peer_username: self.peer_password,
                self.outsider_username: self.outsider_password}

    def has(self, fault: str) -> bool:
        return fault in self.faults
