#!/usr/bin/env python3
"""Regenerates idl/<program>.json for every Anchor program in programs/, or checks them.

    python3 scripts/idl.py           # write idl/*.json
    python3 scripts/idl.py --check   # exit 1 if a committed IDL is stale

Anchor's idl-build feature prints the IDL in pieces from test functions (program,
address, constants, errors, events); this assembles them the way the Anchor CLI does:
the program's address filled in, and fully qualified type names shortened.
"""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# crate name -> IDL file name
PROGRAMS = {"io-registry": "registry", "io-staking": "staking", "io-emissions": "emissions", "io-treasury": "treasury", "io-governance": "governance"}


def print_idl(crate):
    cmd = [
        "cargo", "test", "--quiet", "-p", crate, "--features", "idl-build",
        "__anchor_private_print_idl", "--", "--show-output", "--test-threads", "1",
    ]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    blocks = re.findall(r"--- IDL begin (\w+) ---\n(.*?)\n--- IDL end \1 ---", out, re.S)
    if not blocks:
        sys.exit(f"no IDL printed for {crate}")
    return blocks


def assemble(blocks):
    idl, constants, errors, events, extra_types = None, [], [], [], []
    address = None
    for kind, body in blocks:
        value = json.loads(body)
        if kind == "program":
            idl = value
        elif kind == "address":
            address = json.loads(value)
        elif kind == "const":
            constants.append(value)
        elif kind == "errors":
            errors = value
        elif kind == "event":
            events.append(value["event"])
            extra_types.extend(value["types"])
    if idl is None or address is None:
        sys.exit("IDL output lacks the program or its address")
    idl["address"] = address
    if constants:
        idl["constants"] = sorted(constants, key=lambda c: c["name"])
    if errors:
        idl["errors"] = errors
    if events:
        idl["events"] = sorted(events, key=lambda e: e["name"])
    known = {t["name"] for t in idl["types"]}
    idl["types"] += [t for t in extra_types if t["name"] not in known and not known.add(t["name"])]
    return shorten_names(idl)


def shorten_names(idl):
    """`crate::module::Type` -> `Type`, as long as the short names stay unique."""
    full = {t["name"] for t in idl["types"]}
    short = {}
    for name in full:
        last = name.rsplit("::", 1)[-1]
        short.setdefault(last, []).append(name)
    rename = {names[0]: last for last, names in short.items() if len(names) == 1}

    def walk(node):
        if isinstance(node, dict):
            return {k: (rename.get(v, v) if k == "name" and isinstance(v, str) else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    idl = walk(idl)
    idl["types"].sort(key=lambda t: t["name"])
    return idl


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for crate, name in PROGRAMS.items():
        text = json.dumps(assemble(print_idl(crate)), indent=2) + "\n"
        path = ROOT / "idl" / f"{name}.json"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale IDL (run `python3 scripts/idl.py` and commit):", ", ".join(stale))
        sys.exit(1)
    if check:
        print("IDL up to date:", ", ".join(f"idl/{n}.json" for n in PROGRAMS.values()))


if __name__ == "__main__":
    main()
