#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build helper: turns numbered migration files into a C array of strings,
# in the order given, so the binary carries its schema. The array is
# <name>_migrations, its length <name>_migrations_count: name is the
# backend, given as --name NAME before the output (default sqlite).
import sys

args = sys.argv[1:]
name = "sqlite"
if args[0] == "--name":
    name, args = args[1], args[2:]
out, inputs = args[0], args[1:]
with open(out, "w") as f:
    f.write("/* generated from store/sql by scripts/embed-sql.py */\n")
    f.write("const char *const %s_migrations[] = {\n" % name)
    for path in inputs:
        with open(path) as sql:
            text = sql.read()
        f.write("    " + "\n    ".join(
            '"' + line.replace("\\", "\\\\").replace('"', '\\"') + '\\n"'
            for line in text.splitlines()) + ",\n")
    f.write("};\n")
    f.write("const int %s_migrations_count = %d;\n" % (name, len(inputs)))
