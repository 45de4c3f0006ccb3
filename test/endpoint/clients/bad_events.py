"""Sends what an endpoint must refuse: rooms and grid_search_ids that would leave the event storage, and
malformed events; then ping/pong so every message was handled. Prints the server log lines as JSON.

Usage: bad_events.py URL
"""
import json
import sys
import threading

import socketio

url = sys.argv[1]
sio = socketio.Client()
logs = []
pong = threading.Event()
sio.on("server_log_message", lambda m: logs.append(m))
sio.on("pong", lambda *a: pong.set())
sio.connect(url, transports=["websocket"], wait_timeout=20)
sio.emit("join", {"rooms": ["../escape-room", "/tmp/cubelab-abs-room", "a/b"]})
for gs in ["../escape-gs", "/tmp/cubelab-abs-gs", "..", "x\\..\\..\\y"]:
    sio.emit("mlgym_event", {"event_type": "evaluation_result", "creation_ts": 1, "payload": {"grid_search_id": gs, "experiment_id": 0, "epoch": 0}})
sio.emit("mlgym_event", {"event_type": "job_status", "creation_ts": 1, "payload": {"experiment_id": 0}})
sio.emit("mlgym_event", "not an event")
sio.emit("ping")
if not pong.wait(20):
    print("no pong", file=sys.stderr)
    sys.exit(3)
sio.disconnect()
print(json.dumps(logs))
