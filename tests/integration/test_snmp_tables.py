"""test_snmp_tables.py - SNMP table columns walked whole: one value per row,
rows named by the device's own name column.

A point with `rows = "all"` is a column OID without an instance; every poll
the agent walks it (GETBULK on v2c/v3, GETNEXT on v1) and, with
`row_names = "<name column OID>"`, the name column too. Each row is
telemetry point `<column>_<row>` with "v", "unit", "label" (the name
column's raw text) and "row" (the instance suffix); a rule on the column is
one alert per row, `<rule>.<row>`. The row name is the name column's text
lowercased, each run of characters other than a-z0-9 made one "_", "_"
trimmed at both ends, cut to 31 characters; the instance suffix ("." -> "_")
when there is no name column, the text gives no name, or another row of the
column already has it.

A real snmpsimd serves AKCP sensorProbe recordings (tests/data/snmp/
akcp-table*.snmprec); the agent publishes to a real mosquitto. Checks: rows
found and named, values and labels, an `above` rule firing for the hot row
only; rows named by index without row_names, and the naming rules on odd
names (punctuation, duplicates, empty, too long, Japanese); a sensor
unplugged (its alert goes unknown, leaves telemetry) and another plugged in
(appears, its alert works) with the other rows' alerts untouched, then the
first plugged back under its old name; more rows than max_rows (degraded,
the first rows still reported); SNMPv1 GETNEXT walks, and walks that run
into the end of the agent's MIB view (v1 noSuchName, v2c endOfMibView).
And `facmon check` on the new keys: what it accepts, and FILE:LINE errors
for what it rejects.
"""

import os
import re
import shutil
import tempfile
import unittest

from harness import Agent, Mosquitto, MqttWatch, SnmpSim, event, run_cli, state_is

ROOT = "facmon/testsite/gw1"
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "snmp")
TABLE = os.path.join(DATA, "akcp-table.snmprec")            # .0 .1 .2
CHANGED = os.path.join(DATA, "akcp-table-changed.snmprec")  # .0 .2 .3
MANY = os.path.join(DATA, "akcp-table-many.snmprec")        # .0 - .5
NAMES = os.path.join(DATA, "akcp-table-names.snmprec")      # odd descriptions
END = os.path.join(DATA, "akcp-table-end.snmprec")          # column ends the MIB

# AKCP SPAGENT-MIB sensorProbeTempTable: description and degree columns.
NAME_COL = "1.3.6.1.4.1.3854.1.2.2.1.16.1.1"
TEMP_COL = "1.3.6.1.4.1.3854.1.2.2.1.16.1.3"

CONFIG = """
agent = {{ site = "testsite"; name = "gw1"; state_dir = "{{state_dir}}";
          profile_dir = "{{profile_dir}}"; log_level = "debug"; }};
mqtt = {{ host = "127.0.0.1"; port = {mqtt_port}; }};
devices = (
{devices}
);
rules = (
{rules}
);
"""

# What akcp-table.snmprec's three rows must look like.
TABLE_ROWS = {
    "temperature_rack_3_top":
        {"v": 35, "unit": "degC", "label": "Rack 3 Top", "row": "0"},
    "temperature_rack_3_bottom":
        {"v": 24, "unit": "degC", "label": "Rack 3 Bottom", "row": "1"},
    "temperature_supply_air":
        {"v": 18, "unit": "degC", "label": "Supply Air", "row": "2"},
}
COLD_AISLE = {"v": 19, "unit": "degC", "label": "Cold Aisle", "row": "3"}


def table_point(name="temperature", row_names=True, max_rows=None):
    keys = f'name = "{name}"; oid = "{TEMP_COL}"; rows = "all"; '
    if row_names:
        keys += f'row_names = "{NAME_COL}"; '
    if max_rows is not None:
        keys += f"max_rows = {max_rows}; "
    return f'{{ {keys}unit = "degC"; }}'


def table_device(name, port, community="akcp-table", version="2c", down_after=3,
                 points=None):
    """An SNMP device without a profile, polled every second, whose only
    point is the temperature column (or POINTS, a list of point texts)."""
    points = points or [table_point()]
    return (f'  {{ name = "{name}"; type = "snmp"; host = "127.0.0.1"; port = {port}; '
            f'version = "{version}"; community = "{community}"; interval = 1; '
            f'timeout_ms = 400; retries = 1; down_after = {down_after};\n'
            f'    points = ( {", ".join(points)} ); }}')


def hot_rule(name, device):
    return (f'  {{ name = "{name}"; point = "{device}.temperature"; above = 30.0; '
            f'severity = "critical"; controls = ["設46"]; }}')


def config(mqtt_port, devices, rules=()):
    return CONFIG.format(mqtt_port=mqtt_port, devices=",\n".join(devices),
                         rules=",\n".join(rules))


def rows_of(points, column="temperature"):
    """The row points of COLUMN in a telemetry payload's "points"."""
    return {k: v for k, v in points.items() if k.startswith(column + "_")}


def has_rows(names, column="temperature"):
    """A telemetry predicate: exactly these row points of COLUMN."""
    return lambda p: set(rows_of(p["points"], column)) == set(names)


def alert_names(watch, rule, after=0):
    """Every alert name `<RULE>...` seen on R/alert/ since AFTER."""
    return {m.topic.rsplit("/", 1)[1] for m in watch.messages(f"{ROOT}/alert/+", after)
            if m.topic.rsplit("/", 1)[1].split(".", 1)[0] == rule}


def events_of(watch, rule_prefix, after=0):
    return [m.payload for m in watch.messages(f"{ROOT}/events", after)
            if str(m.payload["rule"]).startswith(rule_prefix)]


class Discovery(unittest.TestCase):

    def assert_point(self, got, device, point):
        # R/alert and R/events carry a Modbus point as "device.point"; a
        # row point is "<column>_<row>", with or without its device.
        self.assertIn(got, (f"{device}.{point}", point))

    def test_rows_named_by_name_column_and_rule_per_row(self):
        with Mosquitto() as broker, SnmpSim({"akcp-table": TABLE}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [table_device("sp1", sim.port)],
                             [hot_rule("room-hot", "sp1")])):
            tel = watch.wait_for(f"{ROOT}/telemetry/sp1", has_rows(TABLE_ROWS),
                                 timeout=15).payload["points"]
            self.assertEqual(rows_of(tel), TABLE_ROWS)
            self.assertNotIn("temperature", tel, "the column itself is no point")
            watch.wait_for(f"{ROOT}/device/sp1/state", state_is("up"))

            hot = watch.wait_for(f"{ROOT}/alert/room-hot.rack_3_top", state_is("firing"),
                                 timeout=15).payload
            self.assertEqual((hot["rule"], hot["severity"], hot["value"], hot["controls"]),
                             ("room-hot.rack_3_top", "critical", 35, ["設46"]))
            self.assert_point(hot["point"], "sp1", "temperature_rack_3_top")
            for row in ("rack_3_bottom", "supply_air"):
                ok = watch.wait_for(f"{ROOT}/alert/room-hot.{row}", state_is("ok")).payload
                self.assertEqual(ok["rule"], f"room-hot.{row}")
                self.assert_point(ok["point"], "sp1", f"temperature_{row}")
            ev = watch.wait_for(f"{ROOT}/events", event("room-hot.rack_3_top", "firing")
                                ).payload
            self.assertEqual((ev["severity"], ev["value"], ev["controls"]),
                             ("critical", 35, ["設46"]))
            self.assert_point(ev["point"], "sp1", "temperature_rack_3_top")

            # a poll after those transitions, then two more: still only the
            # hot row fires, and nothing changes
            watch.wait_for(f"{ROOT}/telemetry/sp1", after=watch.mark())
            mark = watch.mark()
            for _ in range(2):
                watch.wait_for(f"{ROOT}/telemetry/sp1", after=watch.mark())
            firing = {e["rule"] for e in events_of(watch, "room-hot") if e["to"] == "firing"}
            self.assertEqual(firing, {"room-hot.rack_3_top"})
            self.assertEqual(alert_names(watch, "room-hot"),
                             {"room-hot.rack_3_top", "room-hot.rack_3_bottom",
                              "room-hot.supply_air"},
                             "one alert per row, none for the column itself")
            self.assertFalse(events_of(watch, "room-hot", mark),
                             "no transitions while nothing changes")

            # what a dashboard subscribing now gets: the retained states
            with MqttWatch(broker.port, f"{ROOT}/alert/#") as late:
                want = {"room-hot.rack_3_top": "firing", "room-hot.rack_3_bottom": "ok",
                        "room-hot.supply_air": "ok"}
                for name, state in want.items():
                    m = late.wait_for(f"{ROOT}/alert/{name}")
                    self.assertTrue(m.retained, f"R/alert/{name} is not retained")
                    self.assertEqual(m.payload["state"], state, name)

    def test_rows_named_by_index_and_naming_rules(self):
        with Mosquitto() as broker, \
                SnmpSim({"akcp-table": TABLE, "akcp-table-names": NAMES}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port,
                             [table_device("byidx", sim.port,
                                           points=[table_point(row_names=False)]),
                              table_device("odd", sim.port, community="akcp-table-names")],
                             [hot_rule("idx-hot", "byidx")])):
            # without row_names: the instance suffix, and no label
            tel = watch.wait_for(f"{ROOT}/telemetry/byidx",
                                 has_rows({"temperature_0", "temperature_1",
                                           "temperature_2"}),
                                 timeout=15).payload["points"]
            self.assertEqual(rows_of(tel), {
                "temperature_0": {"v": 35, "unit": "degC", "row": "0"},
                "temperature_1": {"v": 24, "unit": "degC", "row": "1"},
                "temperature_2": {"v": 18, "unit": "degC", "row": "2"},
            })
            watch.wait_for(f"{ROOT}/alert/idx-hot.0", state_is("firing"), timeout=15)
            watch.wait_for(f"{ROOT}/alert/idx-hot.1", state_is("ok"))
            watch.wait_for(f"{ROOT}/alert/idx-hot.2", state_is("ok"))

            # names made from odd descriptions (see akcp-table-names.snmprec)
            want = {
                "temperature_rack_3_top": ("0", 20, "  Rack #3 -- Top!! "),
                "temperature_1": ("1", 21, "RACK 3 TOP"),    # rack_3_top is taken
                "temperature_2": ("2", 22, ""),              # empty text
                "temperature_3": ("3", 23, "***"),           # nothing a-z0-9
                "temperature_row_5_hot_aisle_containment_inl":
                    ("4", 24, "Row 5: Hot-Aisle Containment Inlet Left"),
                "temperature_a": ("5", 25, "サーバ室 A"),
            }
            tel = watch.wait_for(f"{ROOT}/telemetry/odd", has_rows(want),
                                 timeout=15).payload["points"]
            self.assertEqual(set(rows_of(tel)), set(want))
            for point, (row, v, label) in want.items():
                with self.subTest(point=point):
                    got = tel[point]
                    self.assertEqual((got["row"], got["v"], got["unit"]), (row, v, "degC"))
                    # an empty name column text: "label" "" or left out
                    self.assertEqual(got.get("label", ""), label)
            self.assertEqual(len("row_5_hot_aisle_containment_inl"), 31)


class PlugUnplug(unittest.TestCase):

    def test_sensor_unplugged_and_another_plugged_in(self):
        # down_after = 10: snmpsimd's restarts (under a second each) leave
        # the device up, so every change seen is the table's, not an outage.
        with Mosquitto() as broker, SnmpSim({"akcp-table": TABLE}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [table_device("sp1", sim.port, down_after=10)],
                             [hot_rule("room-hot", "sp1")])) as agent:
            watch.wait_for(f"{ROOT}/telemetry/sp1", has_rows(TABLE_ROWS), timeout=15)
            watch.wait_for(f"{ROOT}/alert/room-hot.rack_3_top", state_is("firing"),
                           timeout=15)
            for row in ("rack_3_bottom", "supply_air"):
                watch.wait_for(f"{ROOT}/alert/room-hot.{row}", state_is("ok"))

            # "Rack 3 Bottom" (.1) unplugged, "Cold Aisle" plugged in at .3
            mark = watch.mark()
            sim.restart({"akcp-table": CHANGED})
            now = {"temperature_rack_3_top", "temperature_supply_air",
                   "temperature_cold_aisle"}
            tel = watch.wait_for(f"{ROOT}/telemetry/sp1", has_rows(now), after=mark,
                                 timeout=15).payload["points"]
            self.assertEqual(tel["temperature_cold_aisle"], COLD_AISLE)
            self.assertEqual(tel["temperature_rack_3_top"],
                             TABLE_ROWS["temperature_rack_3_top"])
            self.assertEqual(tel["temperature_supply_air"],
                             TABLE_ROWS["temperature_supply_air"])
            gone = watch.wait_for(f"{ROOT}/alert/room-hot.rack_3_bottom",
                                  state_is("unknown"), after=mark, timeout=10).payload
            self.assertEqual(gone["rule"], "room-hot.rack_3_bottom")
            ev = watch.wait_for(f"{ROOT}/events", event("room-hot.rack_3_bottom", "unknown"),
                                after=mark).payload
            self.assertEqual(ev["from"], "ok")
            watch.wait_for(f"{ROOT}/alert/room-hot.cold_aisle", state_is("ok"), after=mark,
                           timeout=10)
            for _ in range(2):  # and it stays that way
                watch.wait_for(f"{ROOT}/telemetry/sp1", has_rows(now), after=watch.mark())
            self.assertEqual(
                [(e["rule"], e["to"]) for e in events_of(watch, "room-hot", mark)
                 if e["rule"] in ("room-hot.rack_3_top", "room-hot.supply_air")], [],
                "the rows still there keep their alerts as they were")
            self.assertEqual(
                [e["to"] for e in events_of(watch, "room-hot.rack_3_bottom", mark)],
                ["unknown"], "an unplugged sensor's alert is unknown, not ok or resolved")
            self.assertLessEqual(
                alert_names(watch, "room-hot", mark),
                {"room-hot.rack_3_top", "room-hot.supply_air", "room-hot.rack_3_bottom",
                 "room-hot.cold_aisle"}, "no row was renamed")
            self.assertNotIn("temperature_rack_3_bottom",
                             watch.messages(f"{ROOT}/telemetry/sp1")[-1].payload["points"])

            # plugged back: the old name, its alert working again; .3 gone
            mark = watch.mark()
            sim.restart({"akcp-table": TABLE})
            tel = watch.wait_for(f"{ROOT}/telemetry/sp1", has_rows(TABLE_ROWS), after=mark,
                                 timeout=15).payload["points"]
            self.assertEqual(rows_of(tel), TABLE_ROWS)
            watch.wait_for(f"{ROOT}/alert/room-hot.rack_3_bottom", state_is("ok"),
                           after=mark, timeout=10)
            watch.wait_for(f"{ROOT}/alert/room-hot.cold_aisle", state_is("unknown"),
                           after=mark, timeout=10)
            self.assertLessEqual(
                alert_names(watch, "room-hot", mark),
                {"room-hot.rack_3_top", "room-hot.supply_air", "room-hot.rack_3_bottom",
                 "room-hot.cold_aisle"})
            self.assertTrue(agent.running())


class MaxRows(unittest.TestCase):

    def test_more_rows_than_max_rows(self):
        with Mosquitto() as broker, SnmpSim({"akcp-table-many": MANY}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [
                    table_device("four", sim.port, community="akcp-table-many",
                                 points=[table_point(max_rows=4)]),
                    table_device("six", sim.port, community="akcp-table-many")])):
            dev = watch.wait_for(f"{ROOT}/device/four/state", state_is("degraded"),
                                 timeout=15).payload
            print(f"6 rows, max_rows = 4: {dev['error']}")
            self.assertRegex(dev["error"], r"max_rows")
            first = {f"temperature_probe_{i}": {"v": 20 + i, "unit": "degC",
                                                 "label": f"Probe {i}", "row": str(i - 1)}
                     for i in range(1, 5)}
            tel = watch.wait_for(f"{ROOT}/telemetry/four", has_rows(first),
                                 timeout=15).payload["points"]
            self.assertEqual(rows_of(tel), first)
            # the default (16) takes all six
            six = watch.wait_for(f"{ROOT}/telemetry/six",
                                 has_rows({f"temperature_probe_{i}" for i in range(1, 7)}),
                                 timeout=15).payload["points"]
            self.assertEqual(six["temperature_probe_6"],
                             {"v": 26, "unit": "degC", "label": "Probe 6", "row": "5"})
            watch.wait_for(f"{ROOT}/device/six/state", state_is("up"))
            # still degraded at the next polls, still the first four
            mark = watch.mark()
            watch.wait_for(f"{ROOT}/telemetry/four", after=mark)
            tel = watch.wait_for(f"{ROOT}/telemetry/four", after=watch.mark()).payload
            self.assertEqual(rows_of(tel["points"]), first)
            states = [m.payload["state"] for m in watch.messages(f"{ROOT}/device/four/state")]
            self.assertEqual(states[-1], "degraded")


class Version1(unittest.TestCase):

    def test_v1_getnext_walk_and_walks_to_the_end_of_the_mib(self):
        with Mosquitto() as broker, \
                SnmpSim({"akcp-table": TABLE, "akcp-table-end": END}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [
                    table_device("v1", sim.port, version="1"),
                    table_device("end1", sim.port, community="akcp-table-end", version="1"),
                    table_device("end2", sim.port, community="akcp-table-end")],
                    [hot_rule("v1-hot", "v1"), hot_rule("end-hot", "end1")])):
            tel = watch.wait_for(f"{ROOT}/telemetry/v1", has_rows(TABLE_ROWS),
                                 timeout=15).payload["points"]
            self.assertEqual(rows_of(tel), TABLE_ROWS)
            watch.wait_for(f"{ROOT}/alert/v1-hot.rack_3_top", state_is("firing"), timeout=15)
            watch.wait_for(f"{ROOT}/alert/v1-hot.supply_air", state_is("ok"))

            # the column is the agent's last object: v1 answers the GETNEXT
            # past it with noSuchName, v2c with endOfMibView; both end the
            # walk, and the device is up
            end_rows = {"temperature_inlet": {"v": 23, "unit": "degC", "label": "Inlet",
                                              "row": "0"},
                        "temperature_outlet": {"v": 31, "unit": "degC", "label": "Outlet",
                                               "row": "1"}}
            for device in ("end1", "end2"):
                with self.subTest(device=device):
                    for _ in range(3):
                        tel = watch.wait_for(f"{ROOT}/telemetry/{device}", has_rows(end_rows),
                                             after=watch.mark(), timeout=15).payload
                        self.assertEqual(rows_of(tel["points"]), end_rows)
                    states = [m.payload for m in
                              watch.messages(f"{ROOT}/device/{device}/state")]
                    self.assertEqual(states[-1]["state"], "up", states)
                    self.assertFalse([s for s in states if s["state"] in ("degraded", "down")],
                                     f"{device}: the end of the MIB view is no error")
            watch.wait_for(f"{ROOT}/alert/end-hot.outlet", state_is("firing"), timeout=10)
            watch.wait_for(f"{ROOT}/alert/end-hot.inlet", state_is("ok"))


# ---- facmon check ------------------------------------------------------------

CHECK_HEAD = """agent = { site = "t"; name = "gw"; profile_dir = "profiles"; };
buses = ( { name = "gw"; type = "modbus-tcp"; host = "127.0.0.1"; } );
devices = (
"""


class Check(unittest.TestCase):
    """`facmon check` on table points: accepted, or FILE:LINE: message and
    exit 1."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="facmon-tables-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.mkdir(os.path.join(self.dir, "profiles"))
        with open(os.path.join(self.dir, "profiles", "test-akcp-table.cfg"), "w") as f:
            f.write("# test-akcp-table - an AKCP temperature table, every row.\n"
                    "profile = {\n"
                    '  model = "Test AKCP sensorProbe";\n'
                    "  points = (\n"
                    f'    {{ name = "temperature"; oid = "{TEMP_COL}"; rows = "all";\n'
                    f'      row_names = "{NAME_COL}"; max_rows = 8; unit = "degC"; }}\n'
                    "  );\n"
                    "};\n")

    def check(self, text):
        path = os.path.join(self.dir, "facmon.cfg")
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = run_cli("check", "-c", path)
        return path, rc, out, err

    @staticmethod
    def line_of(text, needle):
        for n, line in enumerate(text.splitlines(), 1):
            if needle in line:
                return n
        raise ValueError(f"{needle!r} not in the config")

    def assert_rejected(self, text, key, lines, says=None):
        """Exit 1, and a FILE:LINE: message naming KEY at one of LINES
        (and matching the regex SAYS). KEY is a key the loader knows: an
        "unknown key" message does not count."""
        path, rc, out, err = self.check(text)
        self.assertEqual(rc, 1, f"accepted:\n{text}\n{out}{err}")
        found = [(int(m.group(1)), m.group(2)) for m in
                 re.finditer(re.escape(path) + r":(\d+): (.*)", err)]
        self.assertTrue(found, f"no FILE:LINE: message:\n{err}")
        ours = [(n, msg) for n, msg in found if key in msg and "unknown key" not in msg
                and (says is None or re.search(says, msg))]
        self.assertTrue(ours, f"no message names {key}"
                              f"{'' if says is None else ' matching ' + says}:\n{err}")
        self.assertTrue([n for n, _ in ours if n in lines],
                        f"{key}: message at line(s) {[n for n, _ in ours]}, "
                        f"expected one of {sorted(lines)}:\n{err}")
        return err

    def test_accepts_table_points(self):
        text = CHECK_HEAD + f"""  {{ name = "sp1"; type = "snmp"; host = "127.0.0.1"; community = "akcp";
    points = (
      {{ name = "temperature"; oid = "{TEMP_COL}";
        rows = "all"; row_names = "{NAME_COL}"; max_rows = 1; unit = "degC"; }},
      {{ name = "degree"; oid = ".{TEMP_COL}"; rows = "all"; max_rows = 64; }},
      {{ name = "fixed"; oid = "{TEMP_COL}"; rows = [0, 1]; row_names = ["top", "bottom"]; }}
    ); }},
  {{ name = "sp2"; type = "snmp"; host = "127.0.0.1"; version = "1"; profile = "test-akcp-table"; }}
);
rules = (
  {{ name = "room-hot"; point = "sp1.temperature"; above = 30.0; severity = "critical"; }},
  {{ name = "sp2-hot"; point = "sp2.temperature"; above = 30.0; clear = 28.0; }}
);
"""
        path, rc, out, err = self.check(text)
        self.assertEqual(rc, 0, err)
        self.assertIn("OK", out)

    def snmp_point_config(self, point_lines):
        """A config with one SNMP device whose points are POINT_LINES."""
        return (CHECK_HEAD
                + '  { name = "sp1"; type = "snmp"; host = "127.0.0.1";\n'
                + "    points = (\n" + "".join(f"      {ln}\n" for ln in point_lines)
                + "    ); }\n);\n")

    def point_span(self, text, first, count):
        start = self.line_of(text, first)
        return set(range(start, start + count))

    def test_rows_all_on_a_modbus_point(self):
        text = (CHECK_HEAD
                + '  { name = "d1"; bus = "gw"; unit = 1;\n'
                + "    points = (\n"
                + '      { name = "t"; read = "input"; address = 1;\n'
                + '        rows = "all"; }\n'
                + "    ); }\n);\n")
        # the message says table rows are an SNMP thing
        self.assert_rejected(text, "rows", self.point_span(text, 'name = "t"', 2),
                             says=r"(?i)snmp|oid")

    def test_row_names_oid_with_rows_array(self):
        lines = [f'{{ name = "t"; oid = "{TEMP_COL}";',
                 "  rows = [1, 2];",
                 f'  row_names = "{NAME_COL}"; }}']
        text = self.snmp_point_config(lines)
        self.assert_rejected(text, "row_names", self.point_span(text, 'name = "t"', 3))

    def test_max_rows_out_of_range(self):
        for bad in (0, 65):
            with self.subTest(max_rows=bad):
                lines = [f'{{ name = "t"; oid = "{TEMP_COL}"; rows = "all";',
                         f"  max_rows = {bad};",
                         '  unit = "degC"; }']
                text = self.snmp_point_config(lines)
                err = self.assert_rejected(text, "max_rows",
                                           {self.line_of(text, "max_rows")})
                print(f"max_rows = {bad}: {err.strip().splitlines()[0]}")
        for good in (1, 64):  # the same points with max_rows in range
            with self.subTest(max_rows=good):
                path, rc, out, err = self.check(self.snmp_point_config(
                    [f'{{ name = "t"; oid = "{TEMP_COL}"; rows = "all";',
                     f"  max_rows = {good};", '  unit = "degC"; }']))
                self.assertEqual(rc, 0, err)

    def test_max_rows_without_rows_all(self):
        for first in (f'{{ name = "t"; oid = "{TEMP_COL}.0";',                  # no rows
                      f'{{ name = "t"; oid = "{TEMP_COL}"; rows = [1, 2];'):  # listed rows
            with self.subTest(point=first):
                text = self.snmp_point_config([first, "  max_rows = 4; }"])
                self.assert_rejected(text, "max_rows", self.point_span(text, 'name = "t"', 2))


if __name__ == "__main__":
    unittest.main(verbosity=2)
