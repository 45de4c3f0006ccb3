"""Joins a room of an MLboard-compatible endpoint as MLboard's frontend does ({rooms: [run_id]}) and
collects every `mlgym_event` it receives: the history replay (`batched_events`) and live events.

Usage: watch_room.py URL ROOM EXPECTED_EVENTS [TIMEOUT_S]

Prints "ready <n>" once the history is in (the endpoint's "Replayed ..." log line) and a ping got its pong, then, when EXPECTED_EVENTS events are in (or on timeout), one JSON line:
{"messages": [{"kind": "batched"|"live", "ids": [...]}...], "events": [{"event_id", "data"}...], "pongs": n}.
"""
import json
import sys
import threading
import time

import socketio

url, room, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30

sio = socketio.Client()
lock = threading.Lock()
messages, events, logs = [], [], []
pongs = threading.Semaphore(0)
pong_count = 0
done = threading.Event()


def on_event(msg):
    with lock:
        if msg["event_id"] == "batched_events":
            messages.append({"kind": "batched", "ids": [m["event_id"] for m in msg["data"]]})
            events.extend(msg["data"])
        else:
            messages.append({"kind": "live", "ids": [msg["event_id"]]})
            events.append(msg)
        if len(events) >= expected:
            done.set()


def on_pong(*args):
    global pong_count
    pong_count += 1
    pongs.release()


sio.on("mlgym_event", on_event)
sio.on("pong", on_pong)
replayed = threading.Event()


def on_log(m):
    logs.append(m)
    if isinstance(m, str) and m.startswith("Replayed ") and f"room {room};" in m:
        replayed.set()


sio.on("server_log_message", on_log)
sio.connect(url, transports=["websocket"], wait_timeout=20)
sio.emit("join", {"rooms": [room]})
# The endpoint says when the room's history is in and the client has joined it.
if not replayed.wait(20):
    print("no replay notice", file=sys.stderr)
    sys.exit(3)
sio.emit("ping")
if not pongs.acquire(timeout=10):
    print("no pong", file=sys.stderr)
    sys.exit(3)
with lock:
    last = len(events)
print(f"ready {last}", flush=True)
done.wait(timeout)
sio.disconnect()
with lock:
    print(json.dumps({"messages": messages, "events": events, "pongs": pong_count, "logs": logs}), flush=True)
