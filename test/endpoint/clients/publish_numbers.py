"""Publishes one evaluation_result whose numbers are where JavaScript and Python print differently, with
python-socketio as MLgym does, and prints the line MLboard's DiscEventStorage would store for it:
json.dumps of the event (json.dumps(json.loads(...)) of what went over the wire is the same text).

Usage: publish_numbers.py URL GRID_SEARCH_ID
"""
import json
import sys
import threading

import socketio

url, gs = sys.argv[1], sys.argv[2]
sio = socketio.Client()
pong = threading.Event()
sio.on("pong", lambda *args: pong.set())
sio.connect(url, transports=["websocket"], wait_timeout=20)
scores = [1e-05, 0.0001, 1e16, 1e15, 1.0, 0.0, -0.0, 10.0, 1.5e300, 5e-324, 1.7976931348623157e308, 0.1, 2.0 / 3.0,
          123456789.125, float("nan"), float("inf"), float("-inf"), 1e22, 1e-7, 12345678901234567.0]
event = {"event_type": "evaluation_result", "creation_ts": 1707945370000003, "payload": {
    "grid_search_id": gs, "experiment_id": 0, "epoch": 0,
    "metric_scores": [{"metric": "m%d" % i, "split": "val", "score": s} for i, s in enumerate(scores)],
    "loss_scores": [{"loss": "big_int", "split": "val", "score": 2 ** 70}, {"loss": "neg", "split": "val", "score": -(2 ** 64) - 1}],
}}
sio.emit("mlgym_event", event)
sio.emit("ping")
if not pong.wait(20):
    print("no pong from the endpoint", file=sys.stderr)
    sys.exit(3)
sio.disconnect()
print(json.dumps(event))
