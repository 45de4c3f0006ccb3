"""Uploads a checkpoint file as MLgym's REST client does: requests.post(files={"checkpoint_file": ...}).

Usage: upload_checkpoint.py URL GRID_SEARCH_ID EXPERIMENT EPOCH FILE_NAME SOURCE_PATH
Prints the HTTP status code.
"""
import sys

import requests

url, gs, exp, epoch, name, source = sys.argv[1:7]
with open(source, "rb") as f:
    r = requests.post(f"{url}/checkpoints/{gs}/{exp}/{epoch}", files={"checkpoint_file": (name, f)}, timeout=30)
print(r.status_code)
