#!/usr/bin/python3
"""Training throughput of torchvision's models as users run them: train mode, eager fp32 (or bf16
autocast), BCEWithLogitsLoss on one logit, SGD(lr 0.1, momentum 0.9, weight decay 1e-4), random
224x224 images. The counterpart of bench/bench_train.cpp (same JSON fields); run both through
bench/run_train.sh.

    reference_train.py --arch A [--precision fp32|bf16] [--batch 8] [--size 224] [--threads 2]
                       [--warmup 2] [--steps 5] [--weights FILE] [--lr 0.1] [--device cuda]

images_per_s is batch / the median step's seconds; mean_images_per_s is over all timed steps.
Dropout and stochastic depth are on, as torchvision trains; bench_train draws the same samples.
"""
import argparse
import json
import resource
import time

import torch
import torchvision

import write_reference_weights as ref  # builds vit_s_16 / vit_ti_16 too


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", required=True)
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weights", help="a state dict (.pth) to start from")
    p.add_argument("--device", default="cpu", help="cpu or cuda (each timed step synchronised)")
    a = p.parse_args()
    device = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ref.build(a.arch, 1, a.size).train()
    if a.weights:
        model.load_state_dict(torch.load(a.weights))
    model = model.to(device)
    criterion = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(1)  # the same images and labels as bench_train
    images = torch.randn(a.batch, 3, a.size, a.size).to(device)
    labels = torch.randint(0, 2, (a.batch,)).float().to(device)

    def step():
        optimizer.zero_grad()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = criterion(model(images).reshape(-1).float(), labels)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return loss.item()

    for _ in range(a.warmup):
        step()
    seconds = []  # each step timed alone: the median is steadier than the mean on a shared machine
    for _ in range(a.steps):
        start = time.perf_counter()
        loss = step()
        seconds.append(time.perf_counter() - start)
    median = sorted(seconds)[len(seconds) // 2]
    print(json.dumps({
        "impl": "python", "arch": a.arch,
        "precision": a.precision, "device": a.device, "batch": a.batch, "size": a.size, "threads": a.threads,
        "steps": a.steps, "lr": a.lr, "seconds": sum(seconds),
        "images_per_s": a.batch / median, "mean_images_per_s": a.steps * a.batch / sum(seconds),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "last_loss": loss}), flush=True)


if __name__ == "__main__":
    main()
