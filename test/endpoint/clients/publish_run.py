"""Publishes a whole MLgym grid search run to an MLboard-compatible endpoint, as MLgym's publisher does.

Usage: publish_run.py URL GRID_SEARCH_ID EXPERIMENTS EPOCHS [FIRST_EPOCH]

Connects with python-socketio and transports=["websocket"] (as ml_gym.io.websocket_client does), joins
{client_id: "mlgym_streamed_logger", rooms: ["mlgym_event_publishers", "mlgym_streamed_logger"]}, emits
every event type of docs/mlgym.md §3.3 in the order of a multiprocessing run (experiment_config,
job_status INIT/RUNNING/DONE, experiment_status train/evaluation, evaluation_result) plus one job_scheduled
that the server must drop, then sends `ping` and waits for `pong` (which, on one ordered connection, also
means every event before it was handled). Prints one JSON line: {"sent": N, "stored_types": {...}}.
Scores are deterministic: val F1 = 0.1*(exp+1) + 0.01*epoch, loss = 10 - epoch - exp.
"""
import json
import sys
import threading
import time

import socketio

url, gs, n_exp, n_epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
first_epoch = int(sys.argv[5]) if len(sys.argv) > 5 else 0

sio = socketio.Client()
pong = threading.Event()
sio.on("pong", lambda *args: pong.set())
sio.connect(url, transports=["websocket"], wait_timeout=20)
assert sio.transport() == "websocket", sio.transport()
sio.emit("join", {"client_id": "mlgym_streamed_logger", "rooms": ["mlgym_event_publishers", "mlgym_streamed_logger"]})

sent = 0
types = {}


def emit(event_type, payload):
    global sent
    event = {"event_type": event_type, "creation_ts": int(time.time_ns() / 1000), "payload": payload}
    sio.emit("mlgym_event", event)
    sent += 1
    types[event_type] = types.get(event_type, 0) + 1


splits = ["train", "val", "test"]
if first_epoch == 0:
    for e in range(n_exp):
        emit("experiment_config", {"grid_search_id": gs, "experiment_id": e, "job_id": e, "config": {
            "optimizer": {"component_type_key": "OPTIMIZER", "variant_key": "DEFAULT",
                          "config": {"optimizer_key": "ADAM", "params": {"lr": 0.1 * (e + 1)}}},
            "note": "Größe µ"}})
    emit("job_scheduled", {"grid_search_id": gs, "job_id": 0})
    for e in range(n_exp):
        emit("job_status", {"job_id": f"{gs}-{e}", "job_type": 1, "status": "INIT", "grid_search_id": gs,
                            "experiment_id": e, "starting_time": -1, "finishing_time": -1, "error": None, "stacktrace": None})
for e in range(n_exp):
    started = time.time()
    emit("job_status", {"job_id": f"{gs}-{e}", "job_type": 1, "status": "RUNNING", "grid_search_id": gs,
                        "experiment_id": e, "starting_time": started, "finishing_time": -1, "error": None, "stacktrace": None})
    for epoch in range(first_epoch, first_epoch + n_epochs):
        for batch in range(0, 10, 5):
            emit("experiment_status", {"grid_search_id": gs, "experiment_id": e, "status": "train", "num_epochs": first_epoch + n_epochs,
                                       "current_epoch": epoch, "splits": ["train"], "current_split": "train",
                                       "num_batches": 10, "current_batch": batch})
        for split in splits:
            emit("experiment_status", {"grid_search_id": gs, "experiment_id": e, "status": "evaluation", "num_epochs": first_epoch + n_epochs,
                                       "current_epoch": epoch, "splits": splits, "current_split": split,
                                       "num_batches": 4, "current_batch": 4})
            emit("evaluation_result", {"grid_search_id": gs, "experiment_id": e, "epoch": epoch,
                                       "metric_scores": [{"metric": "F1_SCORE_macro", "split": split,
                                                          "score": round(0.1 * (e + 1) + 0.01 * epoch, 6)}],
                                       "loss_scores": [{"loss": "cross_entropy_loss", "split": split,
                                                        "score": float(10 - epoch - e)}]})
    failed = e == n_exp - 1 and first_epoch == 0 and n_exp > 1
    emit("job_status", {"job_id": f"{gs}-{e}", "job_type": 1, "status": "DONE", "grid_search_id": gs,
                        "experiment_id": e, "starting_time": started, "finishing_time": time.time(),
                        "error": "CUDA out of memory" if failed else None, "stacktrace": "Traceback ..." if failed else None})

sio.emit("ping")
if not pong.wait(20):
    print("no pong from the endpoint", file=sys.stderr)
    sys.exit(3)
sio.disconnect()
print(json.dumps({"sent": sent, "types": types}))
