"""Images in and out of the digits cubes: an image becomes the 8x8, 0..16 feature grid of scikit-learn's digits
data set (grayscale, resized by area averaging, dark ink on a light background inverted to ink = 16)."""
import hashlib
import os

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff')
SCALE = 4


def list_images(folder):
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
        for f in sorted(filenames):
            if f.lower().endswith(IMAGE_SUFFIXES) and not f.startswith('.'):
                out.append(os.path.join(dirpath, f))
    return out


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 16), b''):
            h.update(chunk)
    return h.hexdigest()


def features_of(path):
    with Image.open(path) as im:
        g = im.convert('L').resize((8, 8), Image.BOX)
    a = np.asarray(g, dtype=float)
    return np.round((255.0 - a) * 16.0 / 255.0).reshape(64)


def digit_pixels(grid, scale=SCALE):
    """A digits-data 8x8 grid (0..16 ink) as a grayscale image array, `scale` pixels per cell, dark on white."""
    a = 255 - np.round(np.asarray(grid, dtype=float) * 255.0 / 16.0)
    return np.kron(a, np.ones((scale, scale))).astype(np.uint8)


def write_digit_png(grid, path, scale=SCALE):
    Image.fromarray(digit_pixels(grid, scale), mode='L').save(path)
