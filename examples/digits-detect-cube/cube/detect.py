"""CubeLab's detection and segmentation cube (examples/digits-detect-cube): digits on a 64x64 canvas, found for
real. mlcube runs `python3 /cube/detect.py TASK --name=value ...`.

Tasks
  train     trains the digit classifier (scikit-learn MLP on the digits data set's training split) used on each
            digit found; MLgym events per epoch.
  generate  pastes digits of the data set's held-out test split (each 8x8 digit drawn at 2 pixels a cell,
            16x16) at random, non-touching positions on white 64x64 canvases, and writes truth.jsonl: per canvas
            the label and the box of each digit's ink (pixels darker than 128), the boxes the tests check.
  infer     per image: ink pixels (darker than 128), grouped into digits by connected components of the ink
            dilated by 2 pixels; each group's box is its ink's box, its mask the ink (COCO RLE), its label and
            score the classifier's answer on the 16x16 window that holds the box on the digit's own grid.
"""
import hashlib
import json
import os
import pickle
import random
import sys

import numpy as np
from PIL import Image

from events import EventLog
from images import digit_pixels, file_sha256, list_images

SEED = 0
CANVAS = 64
CELL = 2  # canvas pixels per digit cell: a digit covers 16x16
TILE = 8 * CELL
INK = 128  # darker than this is ink


def parse_args(argv):
    task = argv[0] if argv else ''
    return task, {k: v for k, v in (a[2:].split('=', 1) for a in argv[1:] if a.startswith('--') and '=' in a)}


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    idx = np.arange(len(d.target))
    tr, te = train_test_split(idx, test_size=0.2, random_state=SEED, stratify=d.target)
    return d, tr, te


def train(args):
    from sklearn.metrics import accuracy_score
    from sklearn.neural_network import MLPClassifier
    d, tr, te = digits_split()
    epochs = 40
    events = EventLog(args['event_storage'])
    events.config({'model': {'component_type_key': 'MODEL', 'variant_key': 'MLP_CLASSIFIER', 'config': {'hidden_layer_sizes': [64], 'epochs': epochs}}})
    model = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.003, random_state=SEED)
    X, y = d.data / 16.0, d.target.astype(str)
    classes = np.array([str(i) for i in range(10)])
    for epoch in range(epochs):
        events.status('train', epoch, epochs, 'train')
        model.partial_fit(X[tr], y[tr], classes=classes)
        scores = [{'metric': 'accuracy', 'split': s, 'score': round(float(accuracy_score(y[i], model.predict(X[i]))), 6)} for s, i in (('train', tr), ('test', te))]
        events.result(epoch, scores, [])
    os.makedirs(args['model_dir'], exist_ok=True)
    blob = pickle.dumps(model)
    with open(os.path.join(args['model_dir'], 'model.pkl'), 'wb') as f:
        f.write(blob)
    print(f"detect: classifier test split accuracy {scores[1]['score']:.4f}; model sha256:{hashlib.sha256(blob).hexdigest()}", flush=True)


def ink_box(mask):
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def generate(args):
    d, _, te = digits_split()
    out = args['images_dir']
    count = int(args.get('count', '40'))
    rng = random.Random(SEED)
    os.makedirs(out, exist_ok=True)
    truth = []
    for n in range(count):
        canvas = np.full((CANVAS, CANVAS), 255, dtype=np.uint8)
        taken = []
        objects = []
        for _ in range(rng.randint(1, 3)):
            for _attempt in range(50):
                x, y = rng.randint(0, CANVAS - TILE), rng.randint(0, CANVAS - TILE)
                # 6 pixels apart at least, so two digits never touch, even after a 2-pixel dilation.
                if all(x + TILE + 6 <= ox or ox + TILE + 6 <= x or y + TILE + 6 <= oy or oy + TILE + 6 <= y for ox, oy in taken):
                    break
            else:
                continue
            i = int(rng.choice(list(te)))
            tile = digit_pixels(d.images[i], CELL)
            canvas[y:y + TILE, x:x + TILE] = np.minimum(canvas[y:y + TILE, x:x + TILE], tile)
            bx, by, bw, bh = ink_box(tile < INK)
            taken.append((x, y))
            objects.append({'label': str(d.target[i]), 'x': x + bx, 'y': y + by, 'width': bw, 'height': bh, 'tile': [x, y]})
        name = f'canvas-{n:03d}.png'
        Image.fromarray(canvas, mode='L').save(os.path.join(out, name))
        truth.append({'path': name, 'objects': objects})
    with open(os.path.join(out, 'truth.jsonl'), 'w') as f:
        for t in truth:
            f.write(json.dumps(t) + '\n')
    print(f'detect: wrote {count} canvases ({sum(len(t["objects"]) for t in truth)} digits) and truth.jsonl to {out}', flush=True)


def rle(mask):
    """COCO's uncompressed RLE: run lengths over the column-major pixels, starting with a run of zeros."""
    flat = mask.T.reshape(-1).astype(np.uint8)
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return {'size': [int(mask.shape[0]), int(mask.shape[1])], 'counts': counts}


def classify(model, gray, box):
    """The classifier's answer on the 16x16 window around the box that lies on the digit's own grid (a digit is
    drawn 2 pixels a cell, so on its grid every 2x2 block is uniform) and centres the box best (the data set's
    digits are centred); ties go to the most confident answer. Each cell is the mean of its block."""
    x, y, w, h = box
    padded = np.pad(gray, TILE, constant_values=255).astype(float)
    windows = []
    for wy in range(y + h - TILE, y + 1):
        for wx in range(x + w - TILE, x + 1):
            win = padded[wy + TILE:wy + 2 * TILE, wx + TILE:wx + 2 * TILE].reshape(8, CELL, 8, CELL)
            off_centre = abs((x + w / 2) - (wx + TILE / 2)) + abs((y + h / 2) - (wy + TILE / 2))
            windows.append((round(float(win.var(axis=(1, 3)).sum()), 3), off_centre, win.mean(axis=(1, 3))))
    windows.sort(key=lambda t: (t[0], t[1]))
    best = None
    for v, off, cells in windows:
        if (v, off) != windows[0][:2]:
            break
        proba = model.predict_proba((np.round((255.0 - cells) * 16.0 / 255.0) / 16.0).reshape(1, 64))[0]
        k = int(np.argmax(proba))
        if best is None or proba[k] > best[1]:
            best = (str(model.classes_[k]), float(proba[k]))
    return best


def infer(args):
    from scipy import ndimage
    path = os.path.join(args['model_dir'], 'model.pkl')
    if not os.path.isfile(path):
        sys.exit(f'detect: no model at {path}: run the train task first')
    with open(path, 'rb') as f:
        blob = f.read()
    model, digest = pickle.loads(blob), 'sha256:' + hashlib.sha256(blob).hexdigest()
    data_dir, out_dir = args['data_dir'], args['predictions_dir']
    os.makedirs(out_dir, exist_ok=True)
    images = list_images(data_dir)
    print(f'detect: finding digits in {len(images)} image(s) under {data_dir} with model {digest}', flush=True)
    out_path = os.path.join(out_dir, 'predictions.jsonl')
    found = 0
    with open(out_path + '.partial', 'w') as out:
        for p in images:
            try:
                with Image.open(p) as im:
                    gray = np.asarray(im.convert('L'))
            except Exception as e:
                print(f'detect: skipped {p}: {e}', file=sys.stderr, flush=True)
                continue
            ink = gray < INK
            groups, n = ndimage.label(ndimage.binary_dilation(ink, iterations=2))
            boxes, masks = [], []
            for g in range(1, n + 1):
                part = ink & (groups == g)
                if part.sum() < 4:
                    continue
                box = ink_box(part)
                label, score = classify(model, gray, box)
                boxes.append({'label': label, 'score': round(score, 6), 'x': box[0], 'y': box[1], 'width': box[2], 'height': box[3]})
                masks.append(rle(part))
            found += len(boxes)
            line = {'path': os.path.relpath(p, data_dir).replace(os.sep, '/'), 'sha256': file_sha256(p), 'model': digest,
                    'boxes': boxes, 'mask': {'rle': masks, 'labels': [b['label'] for b in boxes]}}
            out.write(json.dumps(line) + '\n')
    os.replace(out_path + '.partial', out_path)
    print(f'detect: found {found} digit(s) in {len(images)} image(s); wrote {out_path}', flush=True)


def main():
    task, args = parse_args(sys.argv[1:])
    tasks = {'train': train, 'generate': generate, 'infer': infer}
    if task not in tasks:
        sys.exit(f"detect: unknown task '{task}' (tasks: {', '.join(tasks)})")
    tasks[task](args)


if __name__ == '__main__':
    main()
