"""Records: the plain data the stages hand each other, at the bottom of the house.

Owns the plan's records (`plan`: Check, Plan, SessionSpec, the conditional follow-ups), HTTP
requests and answers (`http`), Engine.IO wire facts (`engineio`), what a Socket.IO session saw
(`session`), everything the probes gathered (`evidence`), the probe keys stages agree on
(`keys`) and when each request and step ran (`timeline`). Records hold data and compute nothing
that judges it.

May import: sanitize.
"""
