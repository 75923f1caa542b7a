#!/usr/bin/python3
"""Reference weights, key lists and logits from Debian's python3-torchvision (0.14), for the tests.

Run with /usr/bin/python3 (the pyenv `python3` on PATH has no torch).

    write_reference_weights.py --arch NAME[,NAME...] --out DIR [options]

For each NAME (a torchvision builder such as efficientnet_b0, efficientnet_b3, vit_b_16, swin_t,
swin_b; or one of the extra names below), a random-initialised model is built after
torch.manual_seed(--seed) and written as:

    DIR/NAME.keys.json     [{"name", "shape", "dtype"}] in state_dict order (always written)
    DIR/NAME.pth           torch.save(model.state_dict())   (unless --keys-only)
    DIR/NAME.safetensors   the same tensors as safetensors, written by hand (unless --keys-only)
    DIR/NAME.logits.safetensors   with --logits: tensors "input" [N,C,H,W] float32 and "logits",
                           the model in eval mode (batch norm running stats, dropout and stochastic
                           depth off) on that input.

Options:
    --num-classes K     head size (default 1000)
    --image-size S      input size (ViT is built for it; default 224)
    --in-chans C        1: the weights files keep the 3-channel stem (as published checkpoints do);
                        the logits are those of the model whose stem filters are summed over RGB (as
                        timm's adapt_input_conv does) on a 1-channel input.
    --input FILE        take "input" from FILE (a safetensors file) instead of a seeded one
    --batch N           batch of the seeded input (default 2)
    --no-perturb        keep norm layers at their initialisation. By default batch-norm running
                        statistics and norm affine parameters are randomised, and all-zero linear
                        weights (ViT's head) are filled, so that eval-mode normalisation and the
                        head are really exercised by a parity check.
    --keys-only         only DIR/NAME.keys.json (no weights; fast check of names and shapes)

Extra names: vit_s_16, vit_ti_16 (torchvision VisionTransformer with DeiT-S/Ti sizes); tiny_bn (a
small conv+batchnorm+linear module with a tied weight and a strided view sharing one storage, for the
.pth reader tests); legacy_tiny_bn (tiny_bn saved in the pre-1.6 non-zip format, .pth only);
ckpt_tiny_bn (tiny_bn's state dict wrapped in a training checkpoint {"epoch", "state_dict"}, .pth
only); swin_attention_w7 (one torchvision ShiftedWindowAttention, window 7, for its
relative_position_index buffer).

    write_reference_weights.py --describe FILE.safetensors

reads a safetensors file with this script's own parser and prints JSON {name: {dtype, shape,
values}} (values flattened, as float or int), to check files written by the C++ side.
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import torch
import torchvision

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
BY_NAME = {v: k for k, v in DTYPES.items()}


class TinyBN(torch.nn.Module):
    """Conv + BatchNorm + Linear, plus storage sharing as torch.save writes it for real models."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, num_classes)
        self.fc_tied = torch.nn.Linear(4, num_classes)
        self.fc_tied.weight = self.fc.weight  # two names, one storage
        # A transposed slice: non-zero storage offset, non-contiguous strides, shared storage.
        self.register_buffer("fc_view", self.fc.weight.detach()[1:].t())
        self.register_buffer("half_buf", torch.linspace(-2, 2, 5).half())
        self.register_buffer("bf16_buf", torch.linspace(-3, 3, 7).bfloat16())
        self.register_buffer("int_buf", torch.arange(-3, 3, dtype=torch.int32))
        self.register_buffer("bool_buf", torch.tensor([True, False, True]))
        self.register_buffer("double_buf", torch.tensor([[1.5, -2.25]], dtype=torch.float64))

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(dim=(2, 3)))


def build(arch, num_classes, image_size):
    models = torchvision.models
    if arch in ("tiny_bn", "legacy_tiny_bn", "ckpt_tiny_bn"):
        return TinyBN(num_classes)
    if arch == "swin_attention_w7":
        return models.swin_transformer.ShiftedWindowAttention(16, [7, 7], [3, 3], 2)
    if arch in ("vit_s_16", "vit_ti_16"):
        heads, dim = (6, 384) if arch == "vit_s_16" else (3, 192)
        return models.vision_transformer.VisionTransformer(
            image_size=image_size, patch_size=16, num_layers=12, num_heads=heads, hidden_dim=dim,
            mlp_dim=4 * dim, num_classes=num_classes)
    if arch.startswith("vit_"):
        return models.get_model(arch, weights=None, num_classes=num_classes, image_size=image_size) \
            if hasattr(models, "get_model") else \
            getattr(models, arch)(weights=None, num_classes=num_classes, image_size=image_size)
    if not hasattr(models, arch):
        sys.exit(f"write_reference_weights.py: unknown architecture '{arch}'")
    return getattr(models, arch)(weights=None, num_classes=num_classes)


def perturb(model, generator):
    with torch.no_grad():
        for module in model.modules():
            # torchvision zero-initialises ViT's head: its logits would be 0 whatever the body does.
            if isinstance(module, torch.nn.Linear) and not module.weight.any():
                module.weight.copy_(0.02 * torch.randn(module.weight.shape, generator=generator))
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                n = module.num_features
                module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                module.num_batches_tracked.fill_(7)
            if isinstance(module, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm)):
                if getattr(module, "weight", None) is not None:
                    shape = module.weight.shape
                    module.weight.copy_(1 + 0.1 * torch.randn(shape, generator=generator))
                    module.bias.copy_(0.1 * torch.randn(shape, generator=generator))


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    tmp.replace(path)


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = BY_NAME[info["dtype"]]
        if end == begin:
            out[name] = torch.empty(info["shape"], dtype=dtype)
            continue
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.uint8)
        out[name] = flat.view(dtype).reshape(info["shape"])
    return out


def stem_conv_name(model):
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            return name
    raise SystemExit("no Conv2d stem found")


def one_channel(model):
    """The stem's RGB filters summed (timm's adapt_input_conv for in_chans=1)."""
    name = stem_conv_name(model)
    parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
    old = model.get_submodule(name)
    new = torch.nn.Conv2d(1, old.out_channels, old.kernel_size, old.stride, old.padding,
                          old.dilation, old.groups, old.bias is not None)
    with torch.no_grad():
        new.weight.copy_(old.weight.sum(dim=1, keepdim=True))
        if old.bias is not None:
            new.bias.copy_(old.bias)
    setattr(parent, name.rsplit(".", 1)[-1], new)
    return model


def skip_init():
    """--keys-only needs names and shapes only: leave parameters uninitialised (much faster)."""
    def keep(tensor, *args, **kwargs):
        return tensor
    for name in dir(torch.nn.init):
        if name.endswith("_") and not name.startswith("_"):
            setattr(torch.nn.init, name, keep)


def write_arch(arch, args, out):
    torch.manual_seed(args.seed)
    model = build(arch, args.num_classes, args.image_size)
    if not args.no_perturb:
        perturb(model, torch.Generator().manual_seed(args.seed + 1))
    model.eval()
    state = model.state_dict()
    keys = [{"name": k, "shape": list(v.shape), "dtype": DTYPES[v.dtype]} for k, v in state.items()]
    (out / f"{arch}.keys.json").write_text(json.dumps(keys, indent=0))
    if args.keys_only:
        return
    pth = out / f"{arch}.pth"
    if arch.startswith("legacy_"):
        torch.save(state, pth, _use_new_zipfile_serialization=False)
        return
    if arch.startswith("ckpt_"):
        torch.save({"epoch": 3, "best_auc": 0.5, "state_dict": state}, pth)
        return
    torch.save(state, pth)
    write_safetensors(out / f"{arch}.safetensors", state,
                      {"format": "pt", "arch": arch, "writer": "write_reference_weights.py"})
    if args.logits:
        if args.input:
            x = read_safetensors(args.input)["input"].float()
        else:
            g = torch.Generator().manual_seed(args.seed + 2)
            x = torch.randn(args.batch, args.in_chans, args.image_size, args.image_size, generator=g)
        if args.in_chans == 1:
            model = one_channel(model)
        with torch.no_grad():
            logits = model(x)
        write_safetensors(out / f"{arch}.logits.safetensors", {"input": x, "logits": logits},
                          {"arch": arch, "in_chans": str(args.in_chans)})


def describe(path):
    result = {}
    for name, t in read_safetensors(path).items():
        values = t.reshape(-1)
        values = values.double().tolist() if t.is_floating_point() else values.long().tolist()
        result[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": values}
    json.dump(result, sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--num-classes", type=int, default=1000)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--in-chans", type=int, default=3, choices=(1, 3))
    parser.add_argument("--input")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logits", action="store_true")
    parser.add_argument("--no-perturb", action="store_true")
    parser.add_argument("--keys-only", action="store_true")
    parser.add_argument("--describe")
    args = parser.parse_args()
    if args.describe:
        return describe(args.describe)
    if not args.arch or not args.out:
        parser.error("--arch and --out are required")
    torch.set_num_threads(2)
    if args.keys_only:
        skip_init()
    args.out.mkdir(parents=True, exist_ok=True)
    for arch in args.arch.split(","):
        write_arch(arch, args, args.out)


if __name__ == "__main__":
    main()
