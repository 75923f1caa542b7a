"""Writes generated seed inputs for the fuzz harnesses (tests/fuzz/run.sh): safetensors and .pth
checkpoints as the reference (PyTorch) writes them (and their data.pkl), a bundle's metadata.json, a study YAML and
CSV tables. Used only by the fuzz runner, never at run time.

    /usr/bin/python3 tests/fuzz/write_seeds.py SEEDS_DIR
"""
import collections
import json
import os
import struct
import sys


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """The format by hand (8-byte header size, JSON header, data): Debian has no safetensors."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def main(seeds):
    st = os.path.join(seeds, "safetensors")
    write(os.path.join(st, "small.safetensors"), safetensors({
        "conv.weight": ("F32", [2, 1, 3, 3], struct.pack("<18f", *range(18))),
        "bn.num_batches_tracked": ("I64", [], struct.pack("<q", 3)),
        "head.bias": ("BF16", [2], b"\x80\x3f\x00\x40"),
    }, {"deeptirp_model_card": json.dumps({"architecture": "efficientnet_b0"})}))
    write(os.path.join(st, "empty.safetensors"), safetensors({}))

    import torch  # only here: the rest needs no torch
    pth = os.path.join(seeds, "pth")
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                torch.nn.Linear(4, 1))
    torch.save(model.state_dict(), os.path.join(pth, "state_dict.pth"))  # OrderedDict + _metadata
    torch.save({k: v for k, v in model.state_dict().items()}, os.path.join(pth, "plain.pth"))
    torch.save({"state_dict": model.state_dict(), "epoch": 3},
               os.path.join(pth, "checkpoint.pth"))
    torch.save(collections.OrderedDict(w=torch.arange(6.0).view(2, 3)[:, 1:]),
               os.path.join(pth, "strided.pth"))

    import zipfile  # the unpickler's own seeds: data.pkl of each archive
    for name in os.listdir(pth):
        with zipfile.ZipFile(os.path.join(pth, name)) as archive:
            pkl = [n for n in archive.namelist() if n.endswith("/data.pkl")][0]
            write(os.path.join(seeds, "pickle", name.replace(".pth", ".pkl")), archive.read(pkl))

    meta = {
        "format": "deeptirp-bundle", "format_version": 2,
        "parts": {"image_models": ["b0"], "ensemble": {"kind": "zmean"}},
        "positive": "tumour", "classes": ["infection", "tumour"],
        "thresholds": {"ensemble": 0.5, "b0": 0.4, "clinical": 0.5},
        "clinical_columns": {"numeric": ["age"], "categorical": ["sex", "site"]},
        "files": {"study.yaml": {"bytes": 10, "sha256": "0" * 64}},
    }
    write(os.path.join(seeds, "bundle_metadata", "metadata.json"), json.dumps(meta, indent=2))

    write(os.path.join(seeds, "study_yaml", "study.yaml"), """study:
  title: "Synthetic demo"
  table: clinical.csv
  out: study
models:
  - name: b0
    architecture: efficientnet_b0
    preset: cpu-quick
    train: {epochs: 20, augment: standard, intensity: clahe}
target: diagnosis
positive: tumour
classes: [infection, tumour]
clinical:
  numeric: [age]
  categorical: [sex, site]
centres:
  external: [C]
split: {train: 0.7, validation: 0.1, test: 0.2, seed: 7}
readers:
  calls: readers.csv
image:
  size: 128
ensemble: {kinds: [zmean, stacking]}
""")
    write(os.path.join(seeds, "csv", "manifest.csv"),
          "image,patient_id,diagnosis,centre,roi_x0,roi_y0,roi_x1,roi_y1,age,sex,site\n"
          "a.dcm,P1,tumour,A,1,2,30,40,12,F,femur\n"
          "b.dcm,P2,infection,B,,,,,,M,\"tibia, distal\"\n")


if __name__ == "__main__":
    main(sys.argv[1])
