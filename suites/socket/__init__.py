"""Socket.IO suite: Engine.IO handshake, websocket upgrade, auth, CORS, realtime."""
