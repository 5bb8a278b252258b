#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build helper: turns docs/openapi.yaml into the compact JSON text the
# server answers at GET /openapi.json, as a C byte array (a string literal
# that long is beyond what C17 promises), so the document served is the
# document in the repository. Fails on YAML that is not plain JSON data
# (a non-string key, a date), which JSON could not carry faithfully.
# Usage: embed-openapi.py OUTPUT.c INPUT.yaml
import json
import sys

import yaml


class PlainLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp type: a date stays a string."""


PlainLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def check(node, where="#"):
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                sys.exit(f"embed-openapi: {where}: key {k!r} is not a string (quote it)")
            check(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check(v, f"{where}/{i}")
    elif not (node is None or isinstance(node, (str, int, float, bool))):
        sys.exit(f"embed-openapi: {where}: {type(node).__name__} is not JSON")


out, src = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    doc = yaml.load(f, Loader=PlainLoader)
check(doc)
# ASCII only (\u escapes): the bytes fit a plain char on every compiler.
text = json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")
with open(out, "w") as f:
    f.write("/* generated from docs/openapi.yaml by scripts/embed-openapi.py */\n")
    f.write("#include <stddef.h>\n")
    f.write("extern const char api_openapi_doc[];\n")
    f.write("extern const size_t api_openapi_doc_len;\n")
    f.write("const char api_openapi_doc[] = {\n")
    for i in range(0, len(text), 16):
        f.write("    " + ", ".join("%d" % b for b in text[i:i + 16]) + ",\n")
    f.write("    0};\n")
    f.write("const size_t api_openapi_doc_len = %d;\n" % len(text))
