#!/usr/bin/python3
"""test_docs.py - the documentation kept in step with the code.

Checks, on the source tree (FACMON_SOURCE_DIR, else this file's ../..):
- every config key the loader accepts is documented, in its own section,
  in docs/reference.md (a table row whose first cell names it) and in
  docs/man/facmon.cfg.5 (a .TP entry naming it). The keys are read from
  the loader's source: a regular expression over config/*.c finds every
  `static const char *const NAME_keys[] = { "...", ..., NULL }` array,
  which is what the loader checks a group's keys against (conf__known_keys
  and its peers). KEY_SECTIONS below maps each array to the section that
  documents it, so a new array fails here until it is documented;
- both man pages render with `man -l` (MANWIDTH=80, --warnings) with
  nothing on stderr;
- every relative link in README.md and docs/*.md points at a file (and, for
  a Markdown file, a heading or anchor) that exists inside the repository;
- nothing in README.md or docs/ links to ../shared or mentions SPEC.md:
  the project carries its own contract.
The checker's own functions are tested on small inputs too, so a check that
silently finds nothing fails instead of passing.

Without `man` the rendering test is skipped, and the file exits 77 (CTest:
skipped) if everything else passed.
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

SOURCE = os.path.abspath(os.environ.get(
    "FACMON_SOURCE_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
REFERENCE = os.path.join(SOURCE, "docs", "reference.md")
MAN_PAGES = [os.path.join(SOURCE, "docs", "man", p) for p in ("facmon.1", "facmon.cfg.5")]
MAN_CFG = MAN_PAGES[1]

# Each key array of config/*.c -> (the docs/reference.md heading, the
# facmon.cfg.5 .SH/.SS title) of the section that documents its keys.
KEY_SECTIONS = {
    "top_keys": ("Top-level groups", "TOP-LEVEL GROUPS"),
    "agent_keys": ("agent", "AGENT"),
    "commands_keys": ("agent.commands", "agent.commands"),
    "mqtt_keys": ("mqtt", "MQTT"),
    "tls_keys": ("mqtt.tls", "mqtt.tls"),
    "bus_common_keys": ("buses", "Every bus"),
    "bus_tcp_keys": ("modbus-tcp buses", "modbus-tcp buses"),
    "bus_rtu_keys": ("modbus-rtu buses", "modbus-rtu buses"),
    "device_common_keys": ("devices", "Every device"),
    "device_modbus_keys": ("Modbus devices", "Modbus devices"),
    "device_snmp_keys": ("SNMP devices", "SNMP devices"),
    "snmp_v3_keys": ("SNMP devices", "SNMP devices"),
    "auth_keys": ("SNMP devices", "SNMP devices"),
    "priv_keys": ("SNMP devices", "SNMP devices"),
    "point_keys": ("points", "POINTS"),
    "modbus_point_keys": ("points", "POINTS"),
    "profile_file_keys": ("Profile files", "PROFILES"),
    "profile_keys": ("Profile files", "PROFILES"),
    "rule_keys": ("rules", "RULES"),
    "condition_keys": ("rules", "RULES"),
    "kind_keys": ("rules", "RULES"),
    "silence_keys": ("silences", "SILENCES"),
    "trap_keys": ("snmp_traps", "SNMP TRAPS"),
    "trap_user_keys": ("snmp_traps.v3_users", "v3_users"),
    "outputs_keys": ("outputs", "OUTPUTS"),
    "alertmanager_keys": ("outputs.alertmanager", "outputs.alertmanager"),
    "exec_keys": ("outputs.exec", "outputs.exec"),
    "homeassistant_keys": ("outputs.homeassistant", "outputs.homeassistant"),
    "sparkplug_keys": ("outputs.sparkplug", "outputs.sparkplug"),
    "http_keys": ("outputs.http", "outputs.http"),
}

KEY_ARRAY = re.compile(
    r"static\s+const\s+char\s*\*\s*const\s+(\w+_keys)\s*\[\s*\]\s*=\s*\{(.*?)\}",
    re.S)


def slurp(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def key_arrays(texts):
    """{array name: [keys]} from the C sources TEXTS (name -> text)."""
    arrays = {}
    for text in texts.values():
        for m in KEY_ARRAY.finditer(text):
            keys = re.findall(r'"([^"]+)"', m.group(2))
            arrays.setdefault(m.group(1), [])
            arrays[m.group(1)] += [k for k in keys if k not in arrays[m.group(1)]]
    return arrays


def loader_sources():
    folder = os.path.join(SOURCE, "config")
    return {name: slurp(os.path.join(folder, name))
            for name in sorted(os.listdir(folder)) if name.endswith(".c")}


# ---- Markdown ------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def strip_code(text):
    """TEXT without fenced blocks and inline code spans (same length
    elsewhere does not matter: only links and headings are read)."""
    text = FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def md_sections(text):
    """{heading text without backticks: body up to the next heading}."""
    text = FENCE.sub(lambda m: re.sub(r"^#", " #", m.group(0), flags=re.M), text)
    heads = list(HEADING.finditer(text))
    sections = {}
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        sections.setdefault(h.group(2).replace("`", ""), text[h.end():end])
    return sections


def table_first_cells(body):
    """The first cell of every table row in BODY."""
    cells = []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|?$", line):
            cells.append(line.split("|")[1])
    return cells


def documented_in_md(body, key):
    return any(f"`{key}`" in cell for cell in table_first_cells(body))


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)  # keeps letters of any script, _ and -
    return s.replace(" ", "-")


def anchors(text):
    found = set()
    counts = {}
    for h in HEADING.finditer(FENCE.sub("", text)):
        base = slug(re.sub(r"`", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", h.group(2))))
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    found |= set(re.findall(r'<a\s+(?:id|name)="([^"]+)"', text))
    return found


LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M)


def links(text):
    body = strip_code(text)
    return LINK.findall(body) + REF_DEF.findall(body)


def broken_links(path, text, root):
    """(target, why) for each relative link of the Markdown file PATH whose
    file or anchor does not exist, or that leaves ROOT."""
    bad = []
    for target in links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
            if file_part else path
        if os.path.commonpath([os.path.abspath(dest), os.path.abspath(root)]) != \
                os.path.abspath(root):
            bad.append((target, "outside the repository"))
        elif not os.path.exists(dest):
            bad.append((target, "no such file"))
        elif anchor and dest.endswith(".md") and anchor not in anchors(slurp(dest)):
            bad.append((target, f"no heading or anchor '{anchor}' in "
                                f"{os.path.relpath(dest, root)}"))
    return bad


def markdown_files():
    docs = os.path.join(SOURCE, "docs")
    return [os.path.join(SOURCE, "README.md")] + sorted(
        os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md"))


def doc_files():
    """README.md and every file under docs/."""
    files = [os.path.join(SOURCE, "README.md")]
    for top, _, names in os.walk(os.path.join(SOURCE, "docs")):
        files += [os.path.join(top, n) for n in sorted(names)]
    return files


# ---- man pages -------------------------------------------------------------

def man_sections(text):
    """{.SH or .SS title: the lines up to the next .SH or .SS}."""
    sections, title, lines = {}, None, []
    for line in text.splitlines():
        m = re.match(r'^\.S[HS]\s+"?(.*?)"?\s*$', line)
        if m:
            if title is not None:
                sections.setdefault(title, lines)
            title, lines = m.group(1), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        sections.setdefault(title, lines)
    return sections


def man_tags(lines):
    """The words of each .TP entry's tag line (.B/.BR/.BI/.I... arguments,
    quotes, commas and font escapes dropped)."""
    words = set()
    for prev, line in zip([""] + lines, lines):
        if prev.strip() != ".TP":
            continue
        tag = re.sub(r"\\f[BIRP]", "", re.sub(r"^\.[BIR]{1,2}\s+", "", line))
        tag = tag.replace("\\-", "-").replace('"', " ").replace(",", " ")
        words |= set(tag.split())
    return words


def man_render(path):
    env = dict(os.environ, MANWIDTH="80")
    return subprocess.run(["man", "--warnings", "-l", path], capture_output=True,
                          text=True, env=env, timeout=60)


# ---- the tests -------------------------------------------------------------

class Checker(unittest.TestCase):
    """The checks' own parts, on inputs where the answer is known."""

    def test_key_arrays(self):
        src = {"x.c": 'static const char *const a_keys[] = {\n\t"one", "two",\n\tNULL,\n};\n'
                      '\tstatic const char *const b_keys[] = { "three", NULL };\n'
                      'static const char *const names[] = { "not", "keys" };\n'}
        self.assertEqual(key_arrays(src), {"a_keys": ["one", "two"], "b_keys": ["three"]})

    def test_md_key_in_table(self):
        body = "| key | default |\n|---|---|\n| `host`, `port` | 1 |\n| `x` | `qos` |\n"
        self.assertTrue(documented_in_md(body, "port"))
        self.assertFalse(documented_in_md(body, "qos"))  # not the first cell
        self.assertFalse(documented_in_md("`port` in prose\n", "port"))

    def test_man_tags(self):
        page = ".SH MQTT\n.TP\n.B host\nx\n.TP\n.BR location \", \" owner\ny\n.B port\n"
        tags = man_tags(man_sections(page)["MQTT"])
        self.assertEqual(tags, {"host", "location", "owner"})

    def test_links(self):
        root = os.path.join(SOURCE, "docs")
        text = ("[a](reference.md#configuration) [b](nowhere.md) [c](https://x.org/y)\n"
                "[d](reference.md#no-such-heading) `[e](inline.md)`\n"
                "```\n[f](fenced.md)\n```\n[g](../../outside.md)\n")
        bad = broken_links(os.path.join(root, "x.md"), text, SOURCE)
        self.assertEqual([t for t, _ in bad],
                         ["nowhere.md", "reference.md#no-such-heading", "../../outside.md"])

    def test_slug(self):
        self.assertEqual(slug("Commissioning with facmon probe"),
                         "commissioning-with-facmon-probe")
        self.assertEqual(slug("4. Run it under systemd"), "4-run-it-under-systemd")
        self.assertEqual(slug("The agent itself: self-health"), "the-agent-itself-self-health")


class ConfigKeys(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.arrays = key_arrays(loader_sources())
        cls.reference = md_sections(slurp(REFERENCE))
        cls.man = man_sections(slurp(MAN_CFG))

    def test_the_loader_was_read(self):
        self.assertGreaterEqual(len(self.arrays), 20, sorted(self.arrays))
        self.assertIn("reconnect_max", self.arrays.get("mqtt_keys", []))
        self.assertIn("stuck_after", self.arrays.get("point_keys", []))

    def test_every_array_has_a_section(self):
        unmapped = sorted(set(self.arrays) - set(KEY_SECTIONS))
        self.assertEqual(unmapped, [], "key arrays of config/*.c without a documented "
                         "section: add them to docs/reference.md, docs/man/facmon.cfg.5 "
                         "and KEY_SECTIONS in this file")

    def undocumented(self, which, sections, doc, documented):
        """What of the loader's keys DOC lacks: a section (KEY_SECTIONS
        column WHICH) missing from SECTIONS, or a key DOCUMENTED(body, key)
        does not find in its section."""
        missing = []
        for array, keys in sorted(self.arrays.items()):
            title = KEY_SECTIONS.get(array, (None, None))[which]
            body = sections.get(title)
            if body is None:
                missing.append(f"{array}: no section '{title}' in {doc}")
                continue
            missing += [f"{doc}: {array}: '{k}' is not documented in section '{title}'"
                        for k in keys if not documented(body, k)]
        return missing

    def test_reference(self):
        """A table row of the key's section names it in its first cell."""
        self.assertEqual(self.undocumented(0, self.reference, "docs/reference.md",
                                           documented_in_md), [])

    def test_man_page(self):
        """A .TP entry of the key's section names it in its tag."""
        self.assertEqual(self.undocumented(1, self.man, "docs/man/facmon.cfg.5",
                                           lambda lines, k: k in man_tags(lines)), [])


MAN = shutil.which("man")


class ManPages(unittest.TestCase):

    @unittest.skipUnless(MAN, "man is not installed (Debian: apt-get install man-db "
                              "groff-base); the man pages were not rendered")
    def test_render(self):
        for path in MAN_PAGES:
            with self.subTest(page=os.path.basename(path)):
                proc = man_render(path)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "", f"man -l {path} warns")
                self.assertIn("NAME", proc.stdout)
                self.assertGreater(len(proc.stdout.splitlines()), 20)


class Links(unittest.TestCase):

    def test_relative_links_resolve(self):
        bad = []
        for path in markdown_files():
            for target, why in broken_links(path, slurp(path), SOURCE):
                bad.append(f"{os.path.relpath(path, SOURCE)}: ({target}): {why}")
        self.assertEqual(bad, [])

    def test_own_contract(self):
        found = []
        for path in doc_files():
            for n, line in enumerate(slurp(path).splitlines(), 1):
                if "../shared" in line or re.search(r"spec\.md", line, re.I):
                    found.append(f"{os.path.relpath(path, SOURCE)}:{n}: {line.strip()}")
        self.assertEqual(found, [], "the docs must not point outside the repository")


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if MAN is None:
        print("SKIPPED: man is not installed; the man pages were not rendered")
        sys.exit(77)
    sys.exit(0)
