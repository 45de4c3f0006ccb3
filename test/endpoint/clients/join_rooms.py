"""Joins N rooms in one `join` message (as MLboard's frontend joins its run_id), then ping/pong so the join
was handled. Prints the server log lines as JSON.

Usage: join_rooms.py URL PREFIX N
"""
import json
import sys
import threading

import socketio

url, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sio = socketio.Client()
logs = []
pong = threading.Event()
sio.on("server_log_message", lambda m: logs.append(m))
sio.on("pong", lambda *a: pong.set())
sio.connect(url, transports=["websocket"], wait_timeout=20)
sio.emit("join", {"client_id": "many-rooms", "rooms": ["%s%d" % (prefix, i) for i in range(n)]})
sio.emit("ping")
if not pong.wait(20):
    print("no pong", file=sys.stderr)
    sys.exit(3)
sio.disconnect()
print(json.dumps(logs))
