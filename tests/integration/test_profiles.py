"""test_profiles.py - every device profile, read end to end.

For EVERY hw/profiles/*.cfg (found with glob when the test runs, so a new
profile is tested by adding it): the simulator serves the profile as unit 1,
each point is set to a distinctive value that fits its type, scale, offset
and bit, and `facmon once --json` against that one device must report every
point of the profile with exactly the value the simulator holds, and the
profile's unit. This catches a profile whose word order, type, bit or
scaling the agent and the simulator disagree about, a point the agent does
not read, and a profile that does not load at all. A point that declares a
valid range gets a distinctive value inside it (outside, the agent reports
a sensor fault, not the value).

What "exactly" means: the simulator reports values with %.10g (`get`), so
the agent's JSON number is compared after the same formatting.

Points sharing a register (bits of one status word, or overlapping values)
are set whole values first, bits last, and every expected value is read
back with `get` after all of them are set, so no point's expectation is
clobbered by a later one.

Each profile is one subTest: all mismatches of a profile are reported
together (got vs want), and every profile is checked even when an earlier
one fails.
"""

import glob
import json
import math
import os
import re
import shutil
import tempfile
import unittest

from harness import Sim, SimError, profile_dir, room_config, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_PROFILES = os.path.normpath(os.path.join(HERE, "..", "..", "hw", "profiles"))

SIGNED = {"int16", "int32", "int64"}
UNSIGNED = {"uint16", "uint32", "uint64"}
FLOATS = {"float32", "float64"}
BIT_READS = {"coil", "discrete"}


# ---- a small reader for the profile files ----------------------------------
# Profiles are libconfig; Debian has no libconfig binding for Python, and
# the test needs only the points list: a tokenizer that knows strings and
# the three comment styles, and a parser for groups of `key = value;`.

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)L{0,2})
  | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
  | (?P<punct>[=:;,{}()\[\]])
""", re.VERBOSE | re.DOTALL)


def _tokens(text):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse near {text[pos:pos + 40]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(kind)


class _Parser:
    def __init__(self, text):
        self.toks = list(_tokens(text))
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def settings(self, end):
        out = {}
        while self.peek()[1] != end:
            _, key = self.take()
            sep = self.take()[1]
            if sep not in ("=", ":"):
                raise ValueError(f"expected = after {key}, got {sep!r}")
            out[key] = self.value()
            if self.peek()[1] in (";", ","):
                self.take()
        return out

    def value(self):
        kind, text = self.take()
        if text == "{":
            v = self.settings("}")
            self.take("}")
            return v
        if text in ("(", "["):
            close = ")" if text == "(" else "]"
            items = []
            while self.peek()[1] != close:
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take(close)
            return items
        if kind == "string":
            parts = [text]
            while self.peek()[0] == "string":  # "a" "b" concatenates
                parts.append(self.take()[1])
            return "".join(json.loads(p) for p in parts)
        if kind == "number":
            t = text.rstrip("L")
            if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", t):
                return int(t, 16)
            return float(t) if re.search(r"[.eE]", t) else int(t)
        if kind == "name" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(f"unexpected {text!r}")


def load_profile(path):
    """The profile's points as dicts with every key filled in."""
    with open(path, encoding="utf-8") as f:
        doc = _Parser(f.read()).settings(None)
    points = []
    for p in doc["profile"]["points"]:
        read = p["read"]
        points.append({
            "name": p["name"],
            "read": read,
            "type": p.get("type", "bool" if read in BIT_READS else "uint16"),
            "bit": p.get("bit", -1),
            "scale": float(p.get("scale", 1.0)),
            "offset": float(p.get("offset", 0.0)),
            "unit": p.get("unit", ""),
            "valid_min": float(p["valid_min"]) if "valid_min" in p else None,
            "valid_max": float(p["valid_max"]) if "valid_max" in p else None,
        })
    return points


# ---- distinctive values -----------------------------------------------------

def is_bit(point):
    return point["read"] in BIT_READS or point["bit"] >= 0 or point["type"] == "bool"


def engineering(point, raw):
    return raw * point["scale"] + point["offset"]


def raw_for(point, index):
    """A raw value for point number INDEX of a profile that no other point
    of the profile has, fits the type, and is far from the simulator's
    start values (0, 22.5, 45): integers 101, 108, 115, ... (negative for
    every other signed point, to exercise the sign), floats with a binary
    fraction so float32 holds them exactly."""
    n = 101 + 7 * index
    t = point["type"]
    if t in SIGNED:
        return -n if index % 2 else n
    if t in UNSIGNED:
        return n
    if t in FLOATS:
        v = n + 0.25
        return -v if index % 2 else v
    raise ValueError(f"no value rule for type {t}")


def plausible(point, value):
    """VALUE as it is, when inside the point's valid range; else one inside
    it (a fraction of the range that varies with the value), as a raw
    value of the point's type would give it. Outside, the agent reports a
    sensor fault instead of the value (test_once_explain.py checks that)."""
    lo, hi = point["valid_min"], point["valid_max"]
    if (lo is None or value >= lo) and (hi is None or value <= hi):
        return value
    lo = lo if lo is not None else hi - 1000.0
    hi = hi if hi is not None else lo + 1000.0
    v = lo + (hi - lo) * ((int(abs(value)) % 17 + 1) / 19)
    if point["type"] in FLOATS:
        return round(v * 4) / 4 if hi - lo >= 4 else round(v * 64) / 64
    return engineering(point, round((v - point["offset"]) / point["scale"]))


def same(got, want):
    """Equal as the simulator prints numbers (%.10g)."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    if math.isnan(want):
        return math.isnan(got)
    return float(f"{got:.10g}") == float(f"{want:.10g}")


def is_snmp_profile(path):
    """SNMP profiles (points with an oid) are read by test_snmp.py against
    snmpsim, not by the Modbus simulator."""
    with open(path) as f:
        return re.search(r"^\s*\{[^#\n]*\boid\s*=", f.read(), re.M) is not None


def discover():
    """Modbus profile names, from the directory the agent and the simulator
    use ($FACMON_PROFILE_DIR, which ctest sets to the source tree's
    hw/profiles), else from the source tree."""
    directory = profile_dir() or SOURCE_PROFILES
    return sorted(os.path.basename(p)[:-len(".cfg")]
                  for p in glob.glob(os.path.join(directory, "*.cfg"))
                  if not is_snmp_profile(p)), directory


class Profiles(unittest.TestCase):

    def test_there_are_profiles(self):
        names, directory = discover()
        self.assertTrue(names, f"no *.cfg in {directory}")

    def test_every_profile_reads_back(self):
        names, directory = discover()
        for name in names:
            with self.subTest(profile=name):
                problems = self.check_profile(name, os.path.join(directory, f"{name}.cfg"))
                if problems:
                    self.fail(f"profile {name}: {len(problems)} problem(s):\n  "
                              + "\n  ".join(problems))

    def check_profile(self, name, path):
        try:
            points = load_profile(path)
        except (OSError, ValueError, KeyError) as e:
            return [f"cannot read {path}: {e}"]
        if not points:
            return ["the profile has no points"]
        problems = []
        tmp = tempfile.mkdtemp(prefix="facmon-profiles-")
        try:
            try:
                sim = Sim({1: name})
            except (RuntimeError, TimeoutError) as e:
                return [f"the simulator cannot serve it: {e}"]
            with sim:
                # Whole values first, bits last: a bit write keeps the other
                # bits of its register, a whole-register write would not.
                order = ([p for p in points if not is_bit(p)]
                         + [p for p in points if is_bit(p)])
                for index, p in enumerate(order):
                    value = (engineering(p, 1) if is_bit(p)
                             else plausible(p, engineering(p, raw_for(p, index))))
                    try:
                        sim.set(1, p["name"], repr(value))
                    except SimError as e:
                        problems.append(f"{p['name']}: simulator refused "
                                        f"{value!r}: {e}")
                want = {p["name"]: sim.get(1, p["name"]) for p in points}
                config = os.path.join(tmp, "facmon.cfg")
                text = room_config(1883, sim.port, devices=(("dev", 1, name),))
                with open(config, "w") as f:
                    f.write(text.replace("{state_dir}", tmp)
                                .replace("{profile_dir}", os.path.dirname(path)))
                rc, out, err = run_cli("once", "-c", config, "--json")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

        if rc != 0:
            problems.append(f"facmon once exited {rc}: {err.strip()[-500:]}")
        try:
            devices = {d["name"]: d for d in json.loads(out)["devices"]}
            dev = devices["dev"]
        except (ValueError, KeyError) as e:
            return problems + [f"no device 'dev' in the JSON ({e}): {out[:300]!r}"]
        if dev.get("state") != "up":
            problems.append(f"device state {dev.get('state')!r}, error "
                            f"{dev.get('error')!r}")
        got_points = dev.get("points", {})
        for p in points:
            pname = p["name"]
            if pname not in got_points:
                problems.append(f"{pname}: missing from the output")
                continue
            got = got_points[pname]
            if not same(got.get("v"), want[pname]):
                problems.append(f"{pname}: got {got.get('v')!r}, want "
                                f"{want[pname]!r} ({p['type']}"
                                f"{', bit %d' % p['bit'] if p['bit'] >= 0 else ''}"
                                f", scale {p['scale']:g}, offset {p['offset']:g})")
            if got.get("unit", "") != p["unit"]:
                problems.append(f"{pname}: unit {got.get('unit', '')!r}, "
                                f"want {p['unit']!r}")
        extra = sorted(set(got_points) - {p["name"] for p in points})
        if extra:
            problems.append(f"points not in the profile: {', '.join(extra)}")
        return problems


if __name__ == "__main__":
    unittest.main(verbosity=2)
