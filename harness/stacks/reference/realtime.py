"""The messaging service's Socket.IO side: token check on connect, joining rooms, message:new.

Variants rename the events (event-names-variant), confirm a join with a server event instead of
an ack (join-confirm-event), word the ack as {status: ok|error} (ack-status-words);
secret-mismatch checks tokens with a secret login never used."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from harness.stacks.reference.auth import decode_unverified, verify_token
from harness.stacks.reference.express import HttpError
from harness.stacks.reference.settings import ReferenceSettings
from harness.stacks.reference.storage import StorageUnavailable, Store

log = logging.getLogger("reference.messaging")
JOINED_EVENT = "conversation_joined"
SEND_EVENT = "send_message"
ERROR_EVENT = "error"
NOTIFICATION_EVENT = "notification:new"
REDELIVER_S = 0.3  # double-emit-late: within the harness's 0.5 s settle window


class Realtime:
    """Registers the Socket.IO handlers on `sio` and announces new messages."""

    def __init__(self, settings: ReferenceSettings, store: Store,
                 sio: socketio.AsyncServer) -> None:
        self.settings = settings
        self.store = store
        self.sio = sio
        renamed = settings.has("event-names-variant")
        self.join_event = "join_conversation" if renamed else "conversation:join"
        self.message_event = "new_message" if renamed else "message:new"
        self.confirm_by_event = settings.has("join-confirm-event")
        self.secret = (f"{settings.jwt_secret}-socket" if settings.has("secret-mismatch")
                       else settings.jwt_secret)
        sio.on("connect", self._on_connect)
        sio.on(self.join_event, self._on_join)
        sio.on("disconnect", self._on_disconnect)
        if settings.has("message-via-socket") or settings.has("broadcast-skips-sender"):
            sio.on(SEND_EVENT, self._on_send)

    async def announce(self, message: dict[str, Any], skip_sid: str | None = None) -> None:
        """Emit a stored message to its conversation's room (unless a fault forgets to)."""
        if self.settings.has("no-message-event"):
            return
        for _ in range(2 if self.settings.has("double-emit") else 1):
            await self.sio.emit(self.message_event, message, room=message["conversationId"],
                                skip_sid=skip_sid)
        if self.settings.has("double-emit-late"):
            self.sio.start_background_task(self._redeliver, message, skip_sid)

    async def _redeliver(self, message: dict[str, Any], skip_sid: str | None) -> None:
        """The same message again, `REDELIVER_S` later (double-emit-late)."""
        await self.sio.sleep(REDELIVER_S)
        await self.sio.emit(self.message_event, message, room=message["conversationId"],
                            skip_sid=skip_sid)

    async def _on_connect(self, sid: str, environ: dict, auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if self.settings.has("socketio-auth-not-enforced"):
            await self.sio.save_session(sid, {"user": "anonymous"})
            return
        try:
            user = decode_unverified(token, self.settings.users) \
                if self.settings.has("socketio-jwt-decode-only") \
                else verify_token(self.secret, token)
        except HttpError as exc:
            raise socketio.exceptions.ConnectionRefusedError(self._refusal(exc)) from None
        await self.sio.save_session(sid, {"user": user})
        await self.sio.enter_room(sid, f"user:{user}")

    async def notify(self, users: list[str], message: dict[str, Any]) -> None:
        """notification:new to each user's own room (double-notify: twice)."""
        note = {"kind": "message", "conversationId": message["conversationId"],
                "messageId": message["id"], "preview": message["text"][:80]}
        for user in users:
            for _ in range(2 if self.settings.has("double-notify") else 1):
                await self.sio.emit(NOTIFICATION_EVENT, note, room=f"user:{user}")

    def _refusal(self, exc: HttpError) -> str:
        """The connect_error message: as jsonwebtoken words it under secret-mismatch."""
        if not self.settings.has("secret-mismatch"):
            return str(exc)
        reason = "invalid signature" if exc.code == "INVALID_SIGNATURE" else str(exc)
        return f"Authentication error: {reason}"

    async def _on_join(self, sid: str, data: Any = None) -> Any:
        result = await self._join(sid, data)
        if self.settings.has("ack-status-words"):
            return {"status": "ok", "conversationId": result["conversationId"]} \
                if result["ok"] else {"status": "error", "reason": result["error"]}
        if not self.confirm_by_event:
            return result
        if result["ok"]:
            await self.sio.emit(JOINED_EVENT, {"conversationId": result["conversationId"]},
                                to=sid)
        else:
            await self.sio.emit(ERROR_EVENT, {"message": result["error"]}, to=sid)
        return self.sio.not_handled  # python-socketio sends no ack for this answer

    async def _join(self, sid: str, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            conversation_id = data.get("conversationId")
        else:
            conversation_id = data if self.confirm_by_event else None
        if not isinstance(conversation_id, str):
            return {"ok": False, "error": "conversationId is required"}
        try:
            found = await self.store.find_one("conversations", {"id": conversation_id})
        except StorageUnavailable as exc:
            return {"ok": False, "error": str(exc)}
        if found is None:
            return {"ok": False, "error": "Conversation not found"}
        user = (await self.sio.get_session(sid)).get("user")
        if user not in found.get("participants", []) and \
                not self.settings.has("join-without-membership") and \
                not self.settings.has("socketio-auth-not-enforced"):
            if self.settings.has("join-confirms-anyone"):  # confirmed, but not in the room
                return {"ok": True, "conversationId": conversation_id}
            return {"ok": False, "error": "Not a participant of this conversation"}
        await self.sio.enter_room(sid, conversation_id)
        return {"ok": True, "conversationId": conversation_id}

    async def _on_send(self, sid: str, data: Any = None) -> dict[str, Any]:
        """send_message {conversationId, text}: store, emit to the room, ack {ok, message}."""
        conversation_id = data.get("conversationId") if isinstance(data, dict) else None
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(conversation_id, str) or not isinstance(text, str) or not text:
            return {"ok": False, "error": "conversationId and text are required"}
        try:
            found = await self.store.find_one("conversations", {"id": conversation_id})
            if found is None:
                return {"ok": False, "error": "Conversation not found"}
            session = await self.sio.get_session(sid)
            if session["user"] not in found.get("participants", []):
                return {"ok": False, "error": "Not a participant of this conversation"}
            message = await self.store.insert("messages", {
                "conversationId": conversation_id, "text": text, "sender": session["user"]})
        except StorageUnavailable as exc:
            return {"ok": False, "error": str(exc)}
        skip = sid if self.settings.has("broadcast-skips-sender") else None
        await self.announce(message, skip_sid=skip)
        return {"ok": True, "message": message}

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        log.debug("socket %s disconnected", sid)
