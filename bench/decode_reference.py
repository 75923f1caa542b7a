#!/usr/bin/python3
"""The Python stack a user would otherwise use, for bench/run_decode.sh: pydicom (with Debian's
python3-gdcm handler) + numpy windowing + PIL resize to 224x224 + normalisation, on one core.

Usage: /usr/bin/python3 bench/decode_reference.py [--seconds S] FILE...
Prints "file<TAB>images_per_s" per file, like bench_decode.
"""
import sys
import time

import numpy as np
import pydicom
import pydicom.config
from PIL import Image
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut

# Compressed data through GDCM, as bench_decode does; uncompressed through numpy. pydicom 2.3's
# GDCM handler does not take RLE Lossless, so RLE goes to pydicom's own (numpy) RLE handler.
pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, rle_handler]

SIDE = 224
MEAN, STD = 0.449, 0.226  # same single-channel statistics as bench_decode.cpp


def display_dicom(path):
    ds = pydicom.dcmread(path, force=True)  # CR-MONO1-10-chest has no meta header
    if "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    values = apply_modality_lut(ds.pixel_array, ds)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        shown = apply_voi_lut(values, ds).astype(np.float64)
        if "VOILUTSequence" in ds:
            top = 2.0 ** ds.VOILUTSequence[0].LUTDescriptor[2] - 1
        else:  # pydicom's linear window maps to the stored range of the data
            bits = ds.BitsStored
            low = -(2 ** (bits - 1)) if ds.PixelRepresentation else 0
            top = 2 ** bits - 1
            shown = shown - low
        shown /= top
    else:
        low, high = np.percentile(values, [0.5, 99.5])
        shown = (values - low) / max(high - low, 1e-6)
    shown = np.clip(shown, 0.0, 1.0)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        shown = 1.0 - shown
    return shown.astype(np.float32)


def display_picture(path):
    image = np.asarray(Image.open(path))
    if image.ndim == 3:
        image = np.asarray(Image.fromarray(image[..., :3]).convert("L"))
    top = 65535.0 if image.dtype == np.uint16 else 255.0
    return (image.astype(np.float32) / top)


def preprocess(path):
    shown = display_picture(path) if path.endswith(".png") else display_dicom(path)
    small = Image.fromarray(shown, mode="F").resize((SIDE, SIDE), Image.BOX)
    return (np.asarray(small) - MEAN) / STD


def images_per_second(path, seconds):
    preprocess(path)  # warm-up
    images, start = 0, time.perf_counter()
    while True:
        preprocess(path)
        images += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and images >= 3:
            return images / elapsed


def main(argv):
    seconds = 3.0
    files = []
    i = 1
    while i < len(argv):
        if argv[i] == "--seconds":
            seconds = float(argv[i + 1])
            i += 1
        else:
            files.append(argv[i])
        i += 1
    for path in files:
        print(f"{path}\t{images_per_second(path, seconds):.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
