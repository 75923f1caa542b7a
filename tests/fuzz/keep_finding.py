"""Keeps a fuzz finding derived from a file of ../shared as a patch of that file, never as a copy
(the shared data stays out of the repository). test_fuzz_regressions rebuilds the input from
../shared and replays it.

    /usr/bin/python3 tests/fuzz/keep_finding.py SHARED_RELATIVE_SOURCE CRASH_FILE OUT.patch

Patch format, one line each: `source <path under ../shared>`, then `<start> <end> <hex>`: bytes
start..end of the source are replaced by the hex bytes (empty hex: deleted).
"""
import difflib
import sys


def main(source_rel, crash, out):
    shared = __file__.rsplit("/tests/fuzz/", 1)[0] + "/../shared/"
    a = open(shared + source_rel, "rb").read()
    b = open(crash, "rb").read()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    lines = ["source " + source_rel]
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            lines.append("%d %d %s" % (i1, i2, b[j1:j2].hex()))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
