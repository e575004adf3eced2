#!/usr/bin/python3
"""test_layers.py - the layering of docs/architecture.md, checked on the
source: every #include "folder/file.h" of a C file must name its own
folder or a layer below it, and no C file grows past the size where it
should be split.

    base <- config <- collectors <- alerting <- store <- outputs <- agent
    probe: base, config, collectors;  hw/sim: base, config, collectors
    report: base, config, collectors, alerting, store (agent uses it)

The link-time half of the rule is in CMakeLists.txt (layer_check_*). This
half also catches a header-only reach (a macro or a struct from above) that
the linker never sees. Exits 1 naming each file and line that breaks it.
"""
import os
import re
import sys
import unittest

SOURCE = os.environ.get("FACMON_SOURCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")

BELOW = {
    "base": [],
    "config": ["base"],
    "collectors": ["base", "config"],
    "alerting": ["base", "config", "collectors"],
    "store": ["base", "config", "collectors", "alerting"],
    "outputs": ["base", "config", "collectors", "alerting", "store"],
    "probe": ["base", "config", "collectors"],
    "report": ["base", "config", "collectors", "alerting", "store"],
    "agent": ["base", "config", "collectors", "alerting", "store", "outputs", "probe",
              "report"],
    "hw/sim": ["base", "config", "collectors"],
}
# A file past this many lines owns more than one concern (STYLE.md).
MAX_LINES = 800
SIZE_CHECKED = list(BELOW) + ["tests/unit", "tests/fuzz", "tests/report", "bench", "hw"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def c_files(folder):
    path = os.path.join(SOURCE, folder)
    for name in sorted(os.listdir(path)):
        if name.endswith((".c", ".h")):
            yield os.path.join(folder, name)


def include_violations(layer):
    """(file, line, header) for each include of LAYER's files that reaches
    a folder not allowed to it."""
    allowed = set(BELOW[layer]) | {layer}
    found = []
    for rel in c_files(layer):
        with open(os.path.join(SOURCE, rel), encoding="utf-8") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            header = m.group(1)
            folder = os.path.dirname(header)
            if folder and folder not in allowed:
                line = text.count("\n", 0, m.start()) + 1
                found.append((rel, line, header))
    return found


def oversized():
    found = []
    for folder in SIZE_CHECKED:
        for rel in c_files(folder):
            with open(os.path.join(SOURCE, rel), encoding="utf-8") as f:
                n = sum(1 for _ in f)
            if n > MAX_LINES:
                found.append((rel, n))
    return found


class Layers(unittest.TestCase):

    def test_no_layer_includes_one_above_it(self):
        bad = [v for layer in BELOW for v in include_violations(layer)]
        for rel, line, header in bad:
            print(f"{rel}:{line}: includes {header}, a layer above "
                  f"{rel.rsplit('/', 1)[0]} (docs/architecture.md)")
        self.assertEqual(bad, [])

    def test_every_source_folder_is_a_known_layer(self):
        # a new top-level folder of C code must take its place in BELOW
        known = {layer.split("/")[0] for layer in BELOW} | {"tests", "bench", "hw", "build"}
        unknown = [d for d in os.listdir(SOURCE)
                   if os.path.isdir(os.path.join(SOURCE, d)) and not d.startswith(".")
                   and not d.startswith("build") and d not in known
                   and any(n.endswith((".c", ".h")) for n in os.listdir(os.path.join(SOURCE, d)))]
        self.assertEqual(unknown, [], "folders of C code missing from BELOW")

    def test_no_file_past_the_split_size(self):
        big = oversized()
        for rel, n in big:
            print(f"{rel}: {n} lines, past {MAX_LINES}: split it along a named concern")
        self.assertEqual(big, [])

    def test_the_check_catches_a_reach_up(self):
        # the checker itself: a store file including outputs/ is caught
        self.assertNotIn("outputs", BELOW["store"])
        self.assertTrue(INCLUDE.search('#include "outputs/mqtt.h"\n'))

    def test_report_sits_above_the_store_and_below_the_agent(self):
        # the report reads the store and is read by the agent, never the
        # other way round, and it does not reach the outputs or the agent
        self.assertIn("store", BELOW["report"])
        self.assertIn("report", BELOW["agent"])
        self.assertNotIn("report", BELOW["store"] + BELOW["outputs"])
        self.assertFalse({"outputs", "agent", "probe"} & set(BELOW["report"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
