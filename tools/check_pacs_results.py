#!/usr/bin/python3
"""Independent check of what `deeptirp pacs watch` stored, with pydicom (tests only).

Usage: check_pacs_results.py FOLDER

FOLDER holds every instance a PACS has, as DICOM files. Each radiograph (CR or DX) must have
exactly one Structured Report and one Secondary Capture made by deeptirp, in its study and with
its patient: the SR referencing it in its evidence and in an IMAGE content item, the SC in its
Source Image Sequence; no result may reference anything else, and every result is a
different SOP instance. Prints one JSON line of counts; exits 1 naming the first problem.
"""
import json
import sys
from pathlib import Path

import pydicom

RADIOGRAPHS = {"1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1",
               "1.2.840.10008.5.1.4.1.1.1.1.1"}
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def sr_references(ds):
    evidence = {ref.ReferencedSOPInstanceUID
                for study in ds.CurrentRequestedProcedureEvidenceSequence
                for series in study.ReferencedSeriesSequence
                for ref in series.ReferencedSOPSequence}
    images = {ref.ReferencedSOPInstanceUID
              for item in ds.ContentSequence if item.ValueType == "IMAGE"
              for ref in item.ReferencedSOPSequence}
    if evidence != images or len(images) != 1:
        fail(f"{ds.filename}: evidence {evidence} and IMAGE items {images} disagree")
    numbers = [item for item in ds.ContentSequence if item.ValueType == "NUM"]
    if not numbers:
        fail(f"{ds.filename}: no probabilities")
    for item in numbers:
        value = float(item.MeasuredValueSequence[0].NumericValue)
        if not 0 <= value <= 1:
            fail(f"{ds.filename}: {item.ConceptNameCodeSequence[0].CodeMeaning} = {value}")
    return images


def main(folder):
    sources, results, seen = {}, {"SR": {}, "SC": {}}, set()
    for path in sorted(Path(folder).iterdir()):
        ds = pydicom.dcmread(path)
        ds.walk(lambda dataset, element: None)  # every element parses
        uid = ds.SOPInstanceUID
        if uid in seen:
            fail(f"{path}: SOP Instance UID {uid} twice")
        seen.add(uid)
        if ds.SOPClassUID in RADIOGRAPHS:
            sources[uid] = ds
            continue
        if ds.Manufacturer != "deeptirp":
            fail(f"{path}: neither a radiograph nor deeptirp's result")
        if ds.SOPClassUID == ENHANCED_SR:
            refs, kind = sr_references(ds), "SR"
        elif ds.SOPClassUID == SECONDARY_CAPTURE:
            refs = {ref.ReferencedSOPInstanceUID for ref in ds.SourceImageSequence}
            kind = "SC"
            if ds.PhotometricInterpretation != "RGB" or ds.pixel_array.ndim != 3:
                fail(f"{path}: the heat map is not an RGB image")
        else:
            fail(f"{path}: SOP class {ds.SOPClassUID}")
        if len(refs) != 1:
            fail(f"{path}: references {refs}")
        results[kind].setdefault(refs.pop(), []).append(ds)
    for kind, by_source in results.items():
        for source_uid, made in by_source.items():
            if source_uid not in sources:
                fail(f"a {kind} references {source_uid}, which is not in the PACS")
    for uid, source in sources.items():
        for kind, by_source in results.items():
            made = by_source.get(uid, [])
            if len(made) != 1:
                fail(f"{source.filename}: {len(made)} {kind} results, not 1")
            result = made[0]
            for keyword in ("StudyInstanceUID", "PatientID", "PatientName"):
                if result.get(keyword) != source.get(keyword):
                    fail(f"{result.filename}: {keyword} differs from its radiograph's")
            if result.SeriesInstanceUID == source.SeriesInstanceUID:
                fail(f"{result.filename}: in its radiograph's series, not a series of its own")
    print(json.dumps({"radiographs": len(sources), "reports": len(results["SR"]),
                      "captures": len(results["SC"])}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail(__doc__)
    main(sys.argv[1])
