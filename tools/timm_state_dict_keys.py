#!/usr/bin/python3
"""Names and shapes of timm state dicts, computed from timm's architecture rules (timm is not a
Debian package, so the tests cannot import it).

    timm_state_dict_keys.py --arch NAME[,NAME...] --out DIR

writes DIR/NAME.timm.json: [{"name", "shape", "dtype"}] in timm's state_dict order. Names:

    efficientnet_b3, efficientnet_b4        timm/models/efficientnet.py (_gen_efficientnet)
    vit_base_patch16_224                    timm/models/vision_transformer.py
    swin_tiny_patch4_window7_224, swin_base_patch4_window7_224
                                            timm/models/swin_transformer.py, timm >= 0.9 layout as on
                                            the model hub: patch merging at the start of stage i >= 1,
                                            head.fc, no relative_position_index / attn_mask buffers
    NAME@v0 (for the swin names)            the pre-0.9 / Microsoft checkpoint layout: patch merging
                                            at the end of stage i < 3, head, and the persistent
                                            relative_position_index [w*w, w*w] and attn_mask buffers

The rules below restate timm's (stage tables, channel rounding, depth scaling, squeeze-excite width)
so that a wrong assumption in the C++ mapping table shows up as a key or shape mismatch.
"""
import argparse
import json
import math
from pathlib import Path


class Keys:
    def __init__(self):
        self.items = []

    def add(self, name, shape, dtype="F32"):
        self.items.append({"name": name, "shape": list(shape), "dtype": dtype})

    def linear(self, prefix, n_out, n_in, bias=True):
        self.add(prefix + ".weight", [n_out, n_in])
        if bias:
            self.add(prefix + ".bias", [n_out])

    def conv(self, prefix, n_out, n_in_per_group, k, bias=False):
        self.add(prefix + ".weight", [n_out, n_in_per_group, k, k])
        if bias:
            self.add(prefix + ".bias", [n_out])

    def norm(self, prefix, n):
        self.add(prefix + ".weight", [n])
        self.add(prefix + ".bias", [n])

    def batchnorm(self, prefix, n):
        self.norm(prefix, n)
        self.add(prefix + ".running_mean", [n])
        self.add(prefix + ".running_var", [n])
        self.add(prefix + ".num_batches_tracked", [], "I64")


def make_divisible(v, divisor=8, round_limit=0.9):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < round_limit * v else new_v


# timm's efficientnet arch_def: (block type, repeats, kernel, stride, expansion, out channels);
# every stage has squeeze-excite with ratio 0.25.
EFFICIENTNET_STAGES = [
    ("ds", 1, 3, 1, 1, 16), ("ir", 2, 3, 2, 6, 24), ("ir", 2, 5, 2, 6, 40), ("ir", 3, 3, 2, 6, 80),
    ("ir", 3, 5, 1, 6, 112), ("ir", 4, 5, 2, 6, 192), ("ir", 1, 3, 1, 6, 320),
]
EFFICIENTNET_SCALES = {"efficientnet_b3": (1.2, 1.4), "efficientnet_b4": (1.4, 1.8)}


def efficientnet(name):
    width, depth = EFFICIENTNET_SCALES[name]
    chs = lambda c: make_divisible(c * width)  # noqa: E731
    keys = Keys()
    stem = chs(32)
    keys.conv("conv_stem", stem, 3, 3)
    keys.batchnorm("bn1", stem)
    in_chs = stem
    for s, (kind, repeats, k, _, exp, out) in enumerate(EFFICIENTNET_STAGES):
        out = chs(out)
        for b in range(int(math.ceil(repeats * depth))):
            p = f"blocks.{s}.{b}"
            if kind == "ds":
                rd = round(in_chs * 0.25)
                keys.conv(p + ".conv_dw", in_chs, 1, k)
                keys.batchnorm(p + ".bn1", in_chs)
                keys.conv(p + ".se.conv_reduce", rd, in_chs, 1, bias=True)
                keys.conv(p + ".se.conv_expand", in_chs, rd, 1, bias=True)
                keys.conv(p + ".conv_pw", out, in_chs, 1)
                keys.batchnorm(p + ".bn2", out)
            else:
                mid = make_divisible(in_chs * exp)
                rd = round(mid * (0.25 / exp))  # se_from_exp=False: ratio over the expansion
                keys.conv(p + ".conv_pw", mid, in_chs, 1)
                keys.batchnorm(p + ".bn1", mid)
                keys.conv(p + ".conv_dw", mid, 1, k)
                keys.batchnorm(p + ".bn2", mid)
                keys.conv(p + ".se.conv_reduce", rd, mid, 1, bias=True)
                keys.conv(p + ".se.conv_expand", mid, rd, 1, bias=True)
                keys.conv(p + ".conv_pwl", out, mid, 1)
                keys.batchnorm(p + ".bn3", out)
            in_chs = out
    features = chs(1280)
    keys.conv("conv_head", features, in_chs, 1)
    keys.batchnorm("bn2", features)
    keys.linear("classifier", 1000, features)
    return keys


def vit_base_patch16_224(_):
    keys, dim, tokens = Keys(), 768, (224 // 16) ** 2 + 1
    keys.add("cls_token", [1, 1, dim])
    keys.add("pos_embed", [1, tokens, dim])
    keys.conv("patch_embed.proj", dim, 3, 16, bias=True)
    for i in range(12):
        p = f"blocks.{i}"
        keys.norm(p + ".norm1", dim)
        keys.linear(p + ".attn.qkv", 3 * dim, dim)
        keys.linear(p + ".attn.proj", dim, dim)
        keys.norm(p + ".norm2", dim)
        keys.linear(p + ".mlp.fc1", 4 * dim, dim)
        keys.linear(p + ".mlp.fc2", dim, 4 * dim)
    keys.norm("norm", dim)
    keys.linear("head", 1000, dim)
    return keys


SWIN = {"swin_tiny_patch4_window7_224": (96, (2, 2, 6, 2), (3, 6, 12, 24)),
        "swin_base_patch4_window7_224": (128, (2, 2, 18, 2), (4, 8, 16, 32))}


def swin(name):
    base, _, layout = name.partition("@")
    embed, depths, heads = SWIN[base]
    old = layout == "v0"
    window, grid = 7, 224 // 4
    keys = Keys()
    keys.conv("patch_embed.proj", embed, 3, 4, bias=True)
    keys.norm("patch_embed.norm", embed)
    for i, (depth, nh) in enumerate(zip(depths, heads)):
        dim, res = embed * 2 ** i, grid // 2 ** i
        if not old and i > 0:
            keys.norm(f"layers.{i}.downsample.norm", 2 * dim)
            keys.linear(f"layers.{i}.downsample.reduction", dim, 2 * dim, bias=False)
        win = min(window, res)
        for j in range(depth):
            p = f"layers.{i}.blocks.{j}"
            keys.norm(p + ".norm1", dim)
            keys.add(p + ".attn.relative_position_bias_table", [(2 * win - 1) ** 2, nh])
            if old:
                keys.add(p + ".attn.relative_position_index", [win * win, win * win], "I64")
            keys.linear(p + ".attn.qkv", 3 * dim, dim)
            keys.linear(p + ".attn.proj", dim, dim)
            keys.norm(p + ".norm2", dim)
            keys.linear(p + ".mlp.fc1", 4 * dim, dim)
            keys.linear(p + ".mlp.fc2", dim, 4 * dim)
            if old and j % 2 == 1 and res > window:  # shifted windows keep their mask
                keys.add(p + ".attn_mask", [(res // win) ** 2, win * win, win * win])
        if old and i < len(depths) - 1:
            keys.norm(f"layers.{i}.downsample.norm", 4 * dim)
            keys.linear(f"layers.{i}.downsample.reduction", 2 * dim, 4 * dim, bias=False)
    features = embed * 2 ** (len(depths) - 1)
    keys.norm("norm", features)
    keys.linear("head" if old else "head.fc", 1000, features)
    return keys


def generate(name):
    if name in EFFICIENTNET_SCALES:
        return efficientnet(name)
    if name == "vit_base_patch16_224":
        return vit_base_patch16_224(name)
    if name.partition("@")[0] in SWIN:
        return swin(name)
    raise SystemExit(f"timm_state_dict_keys.py: unknown architecture '{name}'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.arch.split(","):
        (args.out / f"{name}.timm.json").write_text(json.dumps(generate(name).items, indent=0))


if __name__ == "__main__":
    main()
