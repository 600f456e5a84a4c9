"""Installed size of a framework: its distributions and everything they require, on disk.

Only the standard library: it runs inside each peer's environment. Requirements are followed
through the installed metadata (`Requires-Dist`), skipping optional extras; a distribution
installed in editable mode (tensorlet in development) is measured by its package directories.
"""
import json
import os
import re
import urllib.parse
from importlib import metadata

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _required(dist):
    """Names of the distributions `dist` requires unconditionally (no extra markers)."""
    out = []
    for req in dist.requires or ():
        spec, _, marker = req.partition(";")
        if "extra" in marker:
            continue
        m = _NAME.match(spec)
        if m:
            out.append(m.group(1))
    return out


def _tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def _dist_bytes(dist):
    """Bytes on disk of one installed distribution."""
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):  # a development checkout: its packages
        src = urllib.parse.urlparse(direct["url"]).path
        top = (dist.read_text("top_level.txt") or dist.metadata["Name"]).split()
        return sum(_tree_bytes(os.path.join(src, t)) for t in top)
    total = 0
    for f in dist.files or ():
        p = dist.locate_file(f)
        if os.path.isfile(p) and not os.path.islink(p):
            total += os.path.getsize(p)
    return total


def installed_mb(roots):
    """MB on disk of the distributions `roots` (the ones installed) and their requirements."""
    seen, stack, total = set(), list(roots), 0
    while stack:
        name = _canonical(stack.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += _dist_bytes(dist)
        stack.extend(_required(dist))
    return {"installed_mb": total / 2**20, "distributions": sorted(seen)}
