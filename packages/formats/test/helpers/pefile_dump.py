"""Prints the version resources of a PE file as JSON, as read by pefile (Debian python3-pefile).

Ground truth for the PE reader tests: pefile decodes every StringTable, where exiftool stops
after the first one. pefile keeps only the last Translation pair of a Var (it stores them in a
dict), so that is all this prints for it.
"""
import json
import sys

import pefile

pe = pefile.PE(sys.argv[1], fast_load=False)
out = {"tables": [], "translation": None, "fixed": None}
for fixed in getattr(pe, "VS_FIXEDFILEINFO", []) or []:
    out["fixed"] = {
        "FileVersionMS": fixed.FileVersionMS,
        "FileVersionLS": fixed.FileVersionLS,
        "ProductVersionMS": fixed.ProductVersionMS,
        "ProductVersionLS": fixed.ProductVersionLS,
        "FileFlags": fixed.FileFlags,
        "FileOS": fixed.FileOS,
        "FileType": fixed.FileType,
        "FileSubtype": fixed.FileSubtype,
    }
for group in getattr(pe, "FileInfo", []) or []:
    for info in group:
        if info.Key == b"StringFileInfo":
            for table in info.StringTable:
                out["tables"].append(
                    {
                        "key": table.LangID.decode("latin-1"),
                        "strings": {k.decode("utf-8"): v.decode("utf-8") for k, v in table.entries.items()},
                    }
                )
        elif info.Key == b"VarFileInfo":
            for var in info.Var:
                if b"Translation" in var.entry:
                    out["translation"] = var.entry[b"Translation"]
print(json.dumps(out))
