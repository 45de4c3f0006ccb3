"""Uploads a large checkpoint without holding it: the multipart body is generated as it is sent (chunked
transfer encoding), so only the endpoint's memory is at stake.

Usage: upload_stream.py URL GRID_SEARCH_ID EXPERIMENT_ID EPOCH FILE_NAME SIZE_BYTES
Prints one JSON line: {"status": <HTTP status or null>, "sha256": <digest of the bytes sent>, "error": ...}.
"""
import hashlib
import json
import sys

import requests

url, gs, exp, epoch, name, size = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
boundary = "cubelab-stream-boundary-7d3f"
block = bytes(range(256)) * 4096  # 1 MiB, not all alike, so an offset error shows in the digest
digest = hashlib.sha256()


def body():
    yield ("--%s\r\nContent-Disposition: form-data; name=\"checkpoint_file\"; filename=\"%s\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode()
    left = size
    n = 0
    while left > 0:
        chunk = block[n % 7:] + block[:n % 7] if left >= len(block) else (block[n % 7:] + block[:n % 7])[:left]
        chunk = chunk[:left]
        digest.update(chunk)
        yield chunk
        left -= len(chunk)
        n += 1
    yield ("\r\n--%s--\r\n" % boundary).encode()


try:
    r = requests.post("%s/checkpoints/%s/%s/%s" % (url, gs, exp, epoch), data=body(),
                      headers={"Content-Type": "multipart/form-data; boundary=%s" % boundary}, timeout=300)
    print(json.dumps({"status": r.status_code, "sha256": digest.hexdigest()}))
except requests.exceptions.RequestException as e:
    print(json.dumps({"status": None, "sha256": digest.hexdigest(), "error": str(e)}))
