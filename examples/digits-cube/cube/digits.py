"""CubeLab's digit classifier cube (examples/digits-cube): mlcube runs `python3 /cube/digits.py TASK --name=value ...`.

Tasks
  train    trains a small neural network (scikit-learn's MLPClassifier, one epoch per partial_fit) on the
           handwritten-digits data set scikit-learn ships (1,797 8x8 images), or on labelled images in class
           folders (`data_dir/<label>/*.png`, or `data_dir/train/<label>/` + `data_dir/val/<label>/`), holds out
           a test split, appends MLgym-format events per epoch, writes model.pkl and model.json.
  infer    reads every image under data_dir and writes predictions_dir/predictions.jsonl, one line per image
           in CubeLab's prediction format (README "The prediction format").
  samples  writes the data set's held-out test split as PNG images in class folders (what the tests and the
           demo predict on: the model never saw them).
"""
import hashlib
import json
import os
import pickle
import sys
import time

import numpy as np
import yaml

from events import EventLog
from images import IMAGE_SUFFIXES, features_of, file_sha256, list_images, write_digit_png

SEED = 0
TEST_SIZE = 0.2


def parse_args(argv):
    task = argv[0] if argv else ''
    args = {}
    for a in argv[1:]:
        if a.startswith('--') and '=' in a:
            k, v = a[2:].split('=', 1)
            args[k] = v
    return task, args


def load_config(path):
    if path and os.path.isfile(path):
        with open(path) as f:
            return yaml.safe_load(f) or {}
    return {}


def digits_split():
    """The data set's own train/test split: stratified, fixed seed, so `samples` writes exactly the test part."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    idx = np.arange(len(d.target))
    tr, te = train_test_split(idx, test_size=TEST_SIZE, random_state=SEED, stratify=d.target)
    return d, tr, te


def class_folder_set(folder):
    """Images in class folders (ImageFolder): label = folder name. Returns (X, y, paths)."""
    xs, ys, paths = [], [], []
    for label in sorted(os.listdir(folder)):
        sub = os.path.join(folder, label)
        if not os.path.isdir(sub) or label.startswith('.'):
            continue
        for p in list_images(sub):
            xs.append(features_of(p))
            ys.append(label)
            paths.append(p)
    return np.array(xs, dtype=float).reshape(-1, 64), np.array(ys), paths


def has_class_folders(folder):
    if not folder or not os.path.isdir(folder):
        return False
    for name in os.listdir(folder):
        sub = os.path.join(folder, name)
        if os.path.isdir(sub) and not name.startswith('.') and any(f.lower().endswith(IMAGE_SUFFIXES) for f in os.listdir(sub)):
            return True
    return False


def train(args):
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    cfg = load_config(args.get('config'))
    epochs = int(cfg.get('epochs', 30))
    hidden = int(cfg.get('hidden', 64))
    lr = float(cfg.get('learning_rate', 0.001))
    data_dir = args.get('data_dir', '')
    model_dir = args['model_dir']
    os.makedirs(model_dir, exist_ok=True)

    digits, dtr, dte = digits_split()
    digits_test = (digits.data[dte], digits.target[dte].astype(str))
    if os.path.isdir(os.path.join(data_dir, 'train')) and has_class_folders(os.path.join(data_dir, 'train')):
        # An export (CubeLab's "Export labelled data"): its own train and validation parts.
        Xtr, ytr, _ = class_folder_set(os.path.join(data_dir, 'train'))
        val_dir = os.path.join(data_dir, 'val')
        if has_class_folders(val_dir):
            Xte, yte, _ = class_folder_set(val_dir)
        else:
            Xtr, Xte, ytr, yte = train_test_split(Xtr, ytr, test_size=TEST_SIZE, random_state=SEED)
        source = f'labelled folder {data_dir} (train/ and val/)'
    elif has_class_folders(data_dir):
        X, y, _ = class_folder_set(data_dir)
        strat = y if min(np.unique(y, return_counts=True)[1]) >= 2 else None
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=TEST_SIZE, random_state=SEED, stratify=strat)
        source = f'labelled folder {data_dir}'
    else:
        Xtr, ytr = digits.data[dtr], digits.target[dtr].astype(str)
        Xte, yte = digits_test
        source = "scikit-learn's handwritten digits (load_digits)"
    classes = sorted(set(ytr) | set(yte) | set(digits_test[1]), key=lambda c: (len(c), c))
    print(f'digits: training on {len(ytr)} samples from {source}; held out {len(yte)} for testing; {len(classes)} classes', flush=True)

    events = EventLog(args['event_storage'])
    events.config({'model': {'component_type_key': 'MODEL', 'variant_key': 'MLP_CLASSIFIER',
                             'config': {'hidden_layer_sizes': [hidden], 'learning_rate_init': lr, 'epochs': epochs}},
                   'dataset': {'component_type_key': 'DATASET', 'variant_key': 'DIGITS', 'config': {'source': source, 'train': int(len(ytr)), 'test': int(len(yte))}}})
    model = MLPClassifier(hidden_layer_sizes=(hidden,), learning_rate_init=lr, random_state=SEED)
    Xtr_s, Xte_s = Xtr / 16.0, Xte / 16.0
    for epoch in range(epochs):
        events.status('train', epoch, epochs, 'train')
        model.partial_fit(Xtr_s, ytr, classes=np.array(classes))
        events.status('evaluation', epoch, epochs, 'test')
        scores = []
        losses = []
        for split, X, y in (('train', Xtr_s, ytr), ('test', Xte_s, yte)):
            pred = model.predict(X)
            proba = model.predict_proba(X)
            acc = accuracy_score(y, pred)
            f1 = f1_score(y, pred, average='macro')
            loss = log_loss(y, proba, labels=model.classes_)
            scores += [{'metric': 'accuracy', 'split': split, 'score': round(float(acc), 6)},
                       {'metric': 'F1_SCORE_macro', 'split': split, 'score': round(float(f1), 6)}]
            losses.append({'loss': 'cross_entropy_loss', 'split': split, 'score': round(float(loss), 6)})
        events.result(epoch, scores, losses)
        test_acc = next(s['score'] for s in scores if s['split'] == 'test' and s['metric'] == 'accuracy')
        print(f'epoch {epoch + 1}/{epochs}: train loss {losses[0]["score"]:.4f}, test accuracy {test_acc:.4f}', flush=True)

    digits_acc = float(accuracy_score(digits_test[1], model.predict(digits_test[0] / 16.0)))
    blob = pickle.dumps(model)
    digest = 'sha256:' + hashlib.sha256(blob).hexdigest()
    with open(os.path.join(model_dir, 'model.pkl'), 'wb') as f:
        f.write(blob)
    info = {'digest': digest, 'classes': [str(c) for c in model.classes_], 'input': '8x8 grayscale, 0..16 (ink), from images by area averaging',
            'trained_on': source, 'train_samples': int(len(ytr)), 'test_samples': int(len(yte)),
            'test_accuracy': round(test_acc, 6), 'digits_test_accuracy': round(digits_acc, 6), 'epochs': epochs,
            'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    with open(os.path.join(model_dir, 'model.json'), 'w') as f:
        json.dump(info, f, indent=2)
    print(f'digits: test split accuracy {test_acc:.4f} ({len(yte)} held-out samples); '
          f'on the data set\'s own test split {digits_acc:.4f}; model {digest}', flush=True)


def load_model(model_dir):
    path = os.path.join(model_dir, 'model.pkl')
    if not os.path.isfile(path):
        sys.exit(f'digits: no model at {path}: run the train task first')
    with open(path, 'rb') as f:
        blob = f.read()
    return pickle.loads(blob), 'sha256:' + hashlib.sha256(blob).hexdigest()


def infer(args):
    model, digest = load_model(args['model_dir'])
    data_dir = args['data_dir']
    out_dir = args['predictions_dir']
    os.makedirs(out_dir, exist_ok=True)
    images = list_images(data_dir)
    print(f'digits: predicting {len(images)} image(s) under {data_dir} with model {digest}', flush=True)
    out_path = os.path.join(out_dir, 'predictions.jsonl')
    tmp = out_path + '.partial'
    counts = {}
    skipped = 0
    with open(tmp, 'w') as out:
        batch, paths = [], []

        def flush():
            if not batch:
                return
            proba = model.predict_proba(np.array(batch) / 16.0)
            for p, row in zip(paths, proba):
                best = int(np.argmax(row))
                label = str(model.classes_[best])
                counts[label] = counts.get(label, 0) + 1
                line = {'path': os.path.relpath(p, data_dir).replace(os.sep, '/'), 'sha256': file_sha256(p), 'model': digest,
                        'label': label, 'score': round(float(row[best]), 6),
                        'scores': {str(c): round(float(s), 6) for c, s in zip(model.classes_, row)}}
                out.write(json.dumps(line) + '\n')
            batch.clear()
            paths.clear()

        for p in images:
            try:
                batch.append(features_of(p))
            except Exception as e:  # an unreadable image is reported and left out, the rest go on
                skipped += 1
                print(f'digits: skipped {p}: {e}', file=sys.stderr, flush=True)
                continue
            paths.append(p)
            if len(batch) >= 256:
                flush()
        flush()
    os.replace(tmp, out_path)
    summary = ', '.join(f'{k}: {counts[k]}' for k in sorted(counts))
    print(f'digits: wrote {sum(counts.values())} prediction(s) to {out_path}' + (f' ({skipped} skipped)' if skipped else '') + (f'; per label {summary}' if summary else ''), flush=True)


def samples(args):
    digits, _, te = digits_split()
    out = args['samples_dir']
    for i in te:
        label = str(digits.target[i])
        os.makedirs(os.path.join(out, label), exist_ok=True)
        write_digit_png(digits.images[i], os.path.join(out, label, f'digit-{i:04d}.png'))
    print(f'digits: wrote {len(te)} held-out test images (32x32 PNG, dark ink on white) in class folders under {out}', flush=True)


def main():
    task, args = parse_args(sys.argv[1:])
    tasks = {'train': train, 'infer': infer, 'samples': samples}
    if task not in tasks:
        sys.exit(f"digits: unknown task '{task}' (tasks: {', '.join(tasks)})")
    tasks[task](args)


if __name__ == '__main__':
    main()
