#!/usr/bin/python3
"""Independent check of `deeptirp dicom deidentify` with pydicom (tests only, never at run time).

Usage: check_deidentified.py ORIGINALS_DIR DEIDENTIFIED_DIR

Pairs every original with its output by the Pixel Data bytes (so they must be bit-identical),
then checks against PS3.15 Table E.1-1: every identifying attribute the original carries is gone,
empty or replaced; no person name is left but the pseudonym; every UID that is not one of the
standard's is replaced by a 2.25 UID, the same one wherever the original UID appears; dates are
moved by one whole number of days per patient; no private attribute or overlay remains; the
meta group and Patient Identity Removed agree. Prints one JSON line of counts; exits 1 on the
first problem, naming the file and attribute.
"""
import datetime
import json
import sys
from pathlib import Path

import pydicom
from pydicom.uid import UID_dictionary

# Table E.1-1 attributes that hold identities, addresses or free text (X, Z or D in the basic
# profile), as (group, element): typed from the standard, independently of deeptirp's table.
E1_1 = [
    (0x0008, 0x0050), (0x0008, 0x0080), (0x0008, 0x0081), (0x0008, 0x0090), (0x0008, 0x0092),
    (0x0008, 0x0094), (0x0008, 0x1010), (0x0008, 0x1030), (0x0008, 0x103E), (0x0008, 0x1040),
    (0x0008, 0x1048), (0x0008, 0x1050), (0x0008, 0x1060), (0x0008, 0x1070), (0x0008, 0x1080),
    (0x0008, 0x2111), (0x0010, 0x0010), (0x0010, 0x0020), (0x0010, 0x0021), (0x0010, 0x0030),
    (0x0010, 0x0032), (0x0010, 0x0040), (0x0010, 0x1000), (0x0010, 0x1001), (0x0010, 0x1010),
    (0x0010, 0x1020), (0x0010, 0x1030), (0x0010, 0x1040), (0x0010, 0x2160), (0x0010, 0x2180),
    (0x0010, 0x21B0), (0x0010, 0x4000), (0x0018, 0x1000), (0x0018, 0x1030), (0x0018, 0x4000),
    (0x0020, 0x0010), (0x0020, 0x4000), (0x0032, 0x1032), (0x0032, 0x1033), (0x0032, 0x4000),
    (0x0038, 0x0010), (0x0040, 0x0244), (0x0040, 0x0253), (0x0040, 0x0254), (0x0040, 0x1001),
    (0x0040, 0x2016), (0x0040, 0x2017), (0x0040, 0xA730), (0x0088, 0x0200),
]


# UIDs that name a kind of object (SOP class, coding scheme), kept as they are.
CLASS_UIDS = [pydicom.tag.Tag(0x0008, 0x0016), pydicom.tag.Tag(0x0008, 0x1150),
              pydicom.tag.Tag(0x0008, 0x010C), pydicom.tag.Tag(0x0008, 0x0062)]


def fail(message):
    print("check_deidentified: " + message, file=sys.stderr)
    sys.exit(1)


def elements(ds, path=""):
    """(path, element) of every element, nested ones included."""
    for el in ds:
        here = f"{path}{el.tag}"
        yield here, el
        if el.VR == "SQ":
            for i, item in enumerate(el.value):
                yield from elements(item, f"{here}[{i}]")


def values(el):
    v = el.value
    if v is None or v == "":
        return []
    return [str(x) for x in (v if isinstance(v, pydicom.multival.MultiValue) else [v])]


def as_date(text):
    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def main(originals_dir, outputs_dir):
    outputs = {}
    for path in Path(outputs_dir).glob("*.dcm"):
        ds = pydicom.dcmread(path)
        if "PixelData" in ds:
            outputs[bytes(ds.PixelData)] = (path, ds)
    uid_map, counts = {}, {"pairs": 0, "e1_1_attributes": 0, "uids": 0, "dates": 0}
    seen = set()
    if not outputs:
        fail(f"{outputs_dir}: no de-identified radiographs")
    for path in sorted(Path(originals_dir).glob("*.dcm")):
        original = pydicom.dcmread(path, force=True)
        if "PixelData" not in original or original.SOPInstanceUID in seen:
            continue  # a second copy of an instance is not written (the tool warns)
        seen.add(original.SOPInstanceUID)
        pair = outputs.get(bytes(original.PixelData))
        if pair is None:
            fail(f"{path.name}: no output has its pixel data, bit for bit")
        out_path, out = pair
        counts["pairs"] += 1
        name = f"{path.name} -> {out_path.name}"
        pseudonym = str(out.get("PatientID", ""))
        if not pseudonym.startswith("DEID-") or str(out.get("PatientName", "")) != pseudonym:
            fail(f"{name}: Patient ID / Name are not one pseudonym: {pseudonym!r}")
        for tag in E1_1:
            if tag in original and values(original[tag]):
                counts["e1_1_attributes"] += 1
                if tag in out and values(out[tag]) and values(out[tag]) == values(original[tag]):
                    fail(f"{name}: {original[tag].name} {tag} kept its value")
        shift = None
        for where, el in elements(out):
            if el.tag.is_private:
                fail(f"{name}: private attribute {el.tag} left")
            if 0x6000 <= el.tag.group <= 0x60FF or 0x5000 <= el.tag.group <= 0x50FF:
                fail(f"{name}: overlay or curve {el.tag} left")
            if el.VR == "PN" and values(el) and values(el) != [pseudonym]:
                fail(f"{name}: person name left at {where}")
        # UIDs: each top-level one that is not the standard's nor a class is replaced by a 2.25
        # UID, the same one wherever it appears.
        for el in original:
            if el.VR != "UI" or el.tag.group == 0x0002 or el.tag.is_private or el.tag not in out:
                continue
            for old_v, new_v in zip(values(el), values(out[el.tag])):
                if old_v in UID_dictionary or el.tag in CLASS_UIDS:
                    if new_v != old_v:
                        fail(f"{name}: {el.name} {old_v} was changed")
                    continue
                if new_v == old_v or not new_v.startswith("2.25."):
                    fail(f"{name}: {el.name} not remapped ({new_v})")
                uid_map.setdefault(old_v, set()).add(new_v)
                counts["uids"] += 1
        # Dates: one shift per file, into the past; none kept as it was.
        for tag in [t for t in original.keys() if original[t].VR == "DA"]:
            old_v = values(original[tag])
            if not old_v or len(old_v[0]) < 8 or tag not in out or not values(out[tag]):
                continue
            days = (as_date(values(out[tag])[0]) - as_date(old_v[0])).days
            if days >= 0:
                fail(f"{name}: {original[tag].name} not shifted into the past ({days} days)")
            if shift is not None and days != shift:
                fail(f"{name}: dates shifted by {shift} and {days} days")
            shift = days
            counts["dates"] += 1
        if out.file_meta.MediaStorageSOPInstanceUID != out.SOPInstanceUID:
            fail(f"{name}: the meta group's SOP Instance UID differs from the data set's")
        if out.file_meta.TransferSyntaxUID != getattr(original, "file_meta", {}).get(
                "TransferSyntaxUID", out.file_meta.TransferSyntaxUID):
            fail(f"{name}: the transfer syntax changed")
        if out.get("PatientIdentityRemoved") != "YES":
            fail(f"{name}: Patient Identity Removed is not YES")
    for old_v, new_vs in uid_map.items():
        if len(new_vs) > 1:
            fail(f"UID {old_v} was remapped to {len(new_vs)} different UIDs")
    print(json.dumps(counts))


if __name__ == "__main__":
    main(*sys.argv[1:3])
