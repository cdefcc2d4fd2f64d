"""The messaging service's Socket.IO side: token check on connect, joining rooms, message:new."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from harness.stacks.reference.auth import verify_token
from harness.stacks.reference.express import HttpError
from harness.stacks.reference.settings import ReferenceSettings
from harness.stacks.reference.storage import Store

log = logging.getLogger("reference.messaging")


class Realtime:
    """Registers the Socket.IO handlers on `sio` and announces new messages."""

    def __init__(self, settings: ReferenceSettings, store: Store,
                 sio: socketio.AsyncServer) -> None:
        self.settings = settings
        self.store = store
        self.sio = sio
        sio.on("connect", self._on_connect)
        sio.on("conversation:join", self._on_join)
        sio.on("disconnect", self._on_disconnect)

    async def announce(self, message: dict[str, Any]) -> None:
        """Emit a stored message to its conversation's room (unless a fault forgets to)."""
        if not self.settings.has("no-message-event"):
            await self.sio.emit("message:new", message, room=message["conversationId"])

    async def _on_connect(self, sid: str, environ: dict, auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if self.settings.has("socketio-auth-not-enforced"):
            await self.sio.save_session(sid, {"user": "anonymous"})
            return
        try:
            user = verify_token(self.settings.jwt_secret, token)
        except HttpError as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        await self.sio.save_session(sid, {"user": user})

    async def _on_join(self, sid: str, data: Any) -> dict[str, Any]:
        conversation_id = data.get("conversationId") if isinstance(data, dict) else None
        if not isinstance(conversation_id, str):
            return {"ok": False, "error": "conversationId is required"}
        if await self.store.find_one("conversations", {"id": conversation_id}) is None:
            return {"ok": False, "error": "Conversation not found"}
        await self.sio.enter_room(sid, conversation_id)
        return {"ok": True, "conversationId": conversation_id}

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        log.debug("socket %s disconnected", sid)
