#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build helper: turns numbered migration files into a C array of strings,
# in the order given, so the binary carries its schema.
import sys

out, inputs = sys.argv[1], sys.argv[2:]
with open(out, "w") as f:
    f.write("/* generated from store/sql by scripts/embed-sql.py */\n")
    f.write("const char *const sqlite_migrations[] = {\n")
    for path in inputs:
        with open(path) as sql:
            text = sql.read()
        f.write("    " + "\n    ".join(
            '"' + line.replace("\\", "\\\\").replace('"', '\\"') + '\\n"'
            for line in text.splitlines()) + ",\n")
    f.write("};\n")
    f.write("const int sqlite_migrations_count = %d;\n" % len(inputs))
