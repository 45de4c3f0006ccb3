"""Connects to an MLboard-compatible endpoint with a credential, as a client that knows the endpoint's token
would (MLgym cannot: its server entries are scheme://host:port), publishes one event and waits for pong.

Usage: publish_with_token.py URL GRID_SEARCH_ID MODE [TOKEN]
MODE: auth (socket.io auth={"token": TOKEN}), header (Authorization: Bearer TOKEN), none.
Prints "stored" when the pong came back, or "refused: <error>" when the connection was refused.
"""
import sys
import threading

import socketio

url, gs, mode = sys.argv[1], sys.argv[2], sys.argv[3]
token = sys.argv[4] if len(sys.argv) > 4 else ""
sio = socketio.Client()
pong = threading.Event()
sio.on("pong", lambda *args: pong.set())
kwargs = {}
if mode == "auth":
    kwargs["auth"] = {"token": token}
elif mode == "header":
    kwargs["headers"] = {"Authorization": "Bearer " + token}
try:
    sio.connect(url, transports=["websocket"], wait_timeout=5, **kwargs)
except socketio.exceptions.ConnectionError as e:
    print("refused: %s" % e)
    sys.exit(0)
sio.emit("mlgym_event", {"event_type": "job_status", "creation_ts": 1, "payload": {"grid_search_id": gs, "experiment_id": 0, "status": "RUNNING", "mode": mode}})
sio.emit("ping")
if not pong.wait(20):
    print("no pong", file=sys.stderr)
    sys.exit(3)
sio.disconnect()
print("stored")
