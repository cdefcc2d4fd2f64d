"""Document storage for the reference messaging service: mongomock, or MongoDB via MONGO_URL."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("reference.messaging")
SERVER_SELECTION_S = 2.0
REFUSED = "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017"
FIXED_CONVERSATION = "smoke-fixed-conversation"
"""A conversation every store holds, as a team's staging data would (for flow.conversation_id);
its participants are not the smoke user, so the user's lists stay empty."""


class StorageUnavailable(Exception):
    """The database cannot be reached; the message is what the Node driver would say."""


class Store:
    """Users, conversations, messages and notifications; blocking calls run in a thread."""

    def __init__(self, mongo_url: str | None, members: tuple[str, ...] = ()) -> None:
        """`members`: the users of the fixed conversation (a staging fixture the run's users
        belong to, used by contracts with flow.conversation_id)."""
        if mongo_url:
            import pymongo

            client: Any = pymongo.MongoClient(mongo_url, serverSelectionTimeoutMS=5000)
            client.admin.command("ping")
            self.backend = "mongodb"
            log.info("MongoDB connected successfully")
        else:
            import mongomock

            client = mongomock.MongoClient()
            self.backend = "mongomock"
            log.info("MONGO_URL not set: storing data in memory (mongomock)")
        self._db = client["messaging"]
        self._db["conversations"].update_one(
            {"id": FIXED_CONVERSATION},
            {"$setOnInsert": {"id": FIXED_CONVERSATION, "title": "staging fixture",
                              "participants": ["staging-team", *members],
                              "createdAt": "2024-01-01T00:00:00+00:00"}}, upsert=True)

    async def insert(self, collection: str, document: dict[str, Any]) -> dict[str, Any]:
        document = {"id": uuid.uuid4().hex, **document,
                    "createdAt": datetime.now(timezone.utc).isoformat()}
        await asyncio.to_thread(self._db[collection].insert_one, dict(document))
        return document

    async def find(self, collection: str, query: dict[str, Any], limit: int = 50) -> list[dict]:
        def _find() -> list[dict]:
            cursor = self._db[collection].find(query, {"_id": False}).limit(limit)
            return list(cursor)

        return await asyncio.to_thread(_find)

    async def find_one(self, collection: str, query: dict[str, Any]) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._db[collection].find_one, query, {"_id": False})


BUFFERING = "Operation `conversations.find()` buffering timed out after 10000ms"
UNREACHABLE = {  # fault -> (seconds before the error, the error the Node driver would give)
    "db-down": (SERVER_SELECTION_S, REFUSED),
    "db-refused": (0.0, "connect ECONNREFUSED 127.0.0.1:27017"),
    "db-down-slow": (6.0, BUFFERING),
}


class UnreachableStore(Store):
    """The database faults: every call fails, at once or after the driver's own wait."""

    def __init__(self, fault: str = "db-down") -> None:
        self.backend = "mongodb"
        self.delay_s, self.error = UNREACHABLE[fault]
        log.error("MongoDB connection error: %s", self.error)

    async def insert(self, collection: str, document: dict[str, Any]) -> dict[str, Any]:
        return await self._refuse()

    async def find(self, collection: str, query: dict[str, Any], limit: int = 50) -> list[dict]:
        return await self._refuse()

    async def find_one(self, collection: str, query: dict[str, Any]) -> dict[str, Any] | None:
        return await self._refuse()

    async def _refuse(self) -> Any:
        await asyncio.sleep(self.delay_s)
        raise StorageUnavailable(self.error)
