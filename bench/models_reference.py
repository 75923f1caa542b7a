#!/usr/bin/python3
"""torchvision's models as users run them: eager fp32 (or the model converted with
model.to(torch.bfloat16)), torch.inference_mode, 2 threads, 224x224. The counterpart of
bench/bench_models.cpp (same output columns); run both through bench/run_models.sh.

    models_reference.py --arch A [--precision fp32|bf16] [--batch 1,16] [--seconds S] [--device cuda]
"""
import argparse
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import write_reference_weights as ref  # noqa: E402  (builds vit_s_16 / vit_ti_16 too)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", required=True)
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    p.add_argument("--batch", default="1,16")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda (each pass synchronised)")
    a = p.parse_args()
    device = torch.device(a.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ref.build(a.arch, 1000, 224).eval()
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    model = model.to(dtype).to(device)
    for batch in (int(b) for b in a.batch.split(",")):
        x = torch.randn(batch, 3, 224, 224).to(dtype).to(device)
        with torch.inference_mode():
            model(x)  # warm-up
            sync()
            runs, start = 0, time.perf_counter()
            while runs < 2 or time.perf_counter() - start < a.seconds:
                model(x)
                sync()
                runs += 1
            rate = runs * batch / (time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"python\t{a.arch}\t{a.precision}\t{batch}\t{rate:.3f}\t{peak:.0f}", flush=True)


if __name__ == "__main__":
    main()
