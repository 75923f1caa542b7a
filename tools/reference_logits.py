#!/usr/bin/python3
"""Parity fixtures for the image models: torchvision weights (.pth and .safetensors) and eval-mode
logits, on top of write_reference_weights.py (same seeds, same norm-layer perturbation).

Run with /usr/bin/python3 (Debian's python3-torchvision 0.14).

    reference_logits.py --arch NAME --out DIR [--batch N] [--image-size S] [--checkpoint-size S0]
                        [--num-classes K] [--seed N] [--train-seed N [--grads]]

Writes DIR/NAME.pth, DIR/NAME.safetensors (the weights, built for --checkpoint-size, default the
image size) and DIR/NAME.logits.safetensors with "input" [N,3,S,S] and "logits". Parameters that
torchvision initialises to zero and that would hide a wrong forward pass (ViT's head and class
token, every bias) are drawn at random first. When S differs from S0 (ViT), the logits are those
of a model built for S loading the weights through torchvision's interpolate_embeddings.
With --train-seed, the logits file also holds "train_logits": the same input in training mode
(batch statistics, dropout, stochastic depth) right after torch.manual_seed(N); with --grads
also "grad.NAME" for every parameter: the gradient of the sum of those logits.
"""
import argparse
import math
import sys
from pathlib import Path

import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
import write_reference_weights as ref  # noqa: E402


def randomise_zeros(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.numel() and bool((p == 0).all()):
                fan_in = p.shape[-1] if p.dim() >= 2 else 1
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(fan_in))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--checkpoint-size", type=int)
    parser.add_argument("--num-classes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-seed", type=int)
    parser.add_argument("--grads", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint_size = args.checkpoint_size or args.image_size

    torch.manual_seed(args.seed)
    model = ref.build(args.arch, args.num_classes, checkpoint_size)
    ref.perturb(model, torch.Generator().manual_seed(args.seed + 1))
    randomise_zeros(model, torch.Generator().manual_seed(args.seed + 3))
    state = model.state_dict()
    torch.save(state, args.out / f"{args.arch}.pth")
    ref.write_safetensors(args.out / f"{args.arch}.safetensors", state, {"arch": args.arch})

    if args.image_size != checkpoint_size:
        model = ref.build(args.arch, args.num_classes, args.image_size)
        vt = torchvision.models.vision_transformer
        model.load_state_dict(vt.interpolate_embeddings(args.image_size, 16, state))
    model.eval()
    g = torch.Generator().manual_seed(args.seed + 2)
    x = torch.randn(args.batch, 3, args.image_size, args.image_size, generator=g)
    with torch.inference_mode():
        logits = model(x)
    tensors = {"input": x, "logits": logits}
    if args.train_seed is not None:
        model.train()
        torch.manual_seed(args.train_seed)
        with torch.set_grad_enabled(args.grads):
            train_logits = model(x)
        tensors["train_logits"] = train_logits.detach()
        if args.grads:
            train_logits.sum().backward()
            tensors.update({f"grad.{name}": p.grad for name, p in model.named_parameters()})
    ref.write_safetensors(args.out / f"{args.arch}.logits.safetensors", tensors,
                          {"arch": args.arch})
    print(f"{args.arch}: logits {list(logits.shape)}, max |logit| {logits.abs().max():.4g}")


if __name__ == "__main__":
    main()
