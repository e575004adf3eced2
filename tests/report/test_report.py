"""test_report.py - `facmon report` on a month of synthetic history.

The month of month.py (November 2026: two devices, three rules, an agent
stop, an unclean stop, a device down for six hours, a degraded one, the
clock unsynchronised, reloads, two silences, an alert carried in from
October) is written into a real facmon.db through the store API by
report_seed. Then:

- `--format json` gives exactly the figures worked out in month.py: the
  sections in their order, each device's availability (valid / scheduled
  polls, to the poll), each alert's times to detect, acknowledge and
  resolve and who acknowledged, the silences and how they ended, the
  agent's downtime, the clock, the config changes with their hashes, and
  "chain": "intact"; times in UTC and in TZ's local time (Asia/Tokyo);
- `--format csv` and the HTML carry the same figures; the HTML escapes
  what the store says (an ack comment with "<check>" in it);
- a database changed behind the agent's back (a row's document edited,
  a row deleted) still gives a report, which says the chain is broken and
  at which seq;
- usage errors, a month not begun, a missing database, -o writing a
  whole file in place, and -o on a pipe or /dev/null writing to it
  without replacing it.
"""

import csv
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import threading
import unittest

import month
from harness import facmon_bin
from month import EXPECTED, RULES


def alerts_of(section):
    return {a["alert"]: a for a in section["alerts"]}


def expected_alerts(control):
    return {name for name, (_, _, controls) in RULES.items()
            if control in controls and name in EXPECTED["alerts"]}


class ReportJson(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.month = month.Month()
        cls.r = cls.month.report_json()

    @classmethod
    def tearDownClass(cls):
        cls.month.close()

    def section(self, control):
        return next(s for s in self.r["sections"] if s["control"] == control)

    def test_header(self):
        self.assertEqual(self.r["site"], "tokyo-dc1")
        self.assertEqual(self.r["gateway"], "opsroom-gw1")
        self.assertEqual(self.r["month"], "2026-11")
        self.assertEqual(self.r["period"]["from"]["utc"], "2026-11-01T00:00:00.000Z")
        self.assertEqual(self.r["period"]["until"]["utc"], "2026-12-01T00:00:00.000Z")
        self.assertFalse(self.r["period"]["partial"])
        self.assertEqual(self.r["facmon_version"], "0.1.0")
        self.assertIn("UTC+09:00", self.r["timezone"])

    def test_chain_intact(self):
        self.assertEqual(self.r["chain"], "intact")
        v = self.r["verification"]
        self.assertEqual((v["first_seq"], v["last_seq"], v["events"]),
                         (1, self.month.last_seq, self.month.last_seq))

    def test_one_section_per_control_in_order(self):
        got = [s["control"] for s in self.r["sections"]]
        print("sections:", got)
        self.assertEqual(got, EXPECTED["sections"])
        self.assertTrue(all(s["in_config"] for s in self.r["sections"]))

    def test_covers(self):
        covers = {s["control"]: sorted(c["name"] for c in s["covered_by"])
                  for s in self.r["sections"]}
        self.assertEqual(covers["設46"], ["rack-humidity-high", "room-temp-high"])
        self.assertEqual(covers["8.16"], ["room-temp-high"])
        self.assertEqual(covers["8.17"], ["facmon.clock"])
        self.assertEqual(covers["実102"], ["facmon.collectors", "facmon.outbox", "gw.bus",
                                           "pdu-1.comm", "rack-a.comm"])
        self.assertIn("rack-a.temperature.fault", covers["設80"])
        temp = next(c for c in self.section("設46")["covered_by"]
                    if c["name"] == "room-temp-high")
        self.assertEqual(temp["condition"], "> 30 (clear < 28) for 60 s")
        self.assertEqual(temp["points"], "rack-a.temperature")

    def test_availability_exact(self):
        devices = {"8.16": ["rack-a"], "設46": ["rack-a"], "設76": ["pdu-1"],
                   "実102": ["rack-a", "pdu-1"], "設80": ["rack-a", "pdu-1"],
                   "8.15": [], "8.17": []}
        for control, want_devices in devices.items():
            got = self.section(control)["availability"]
            self.assertEqual([a["device"] for a in got], want_devices, control)
            for a in got:
                want = EXPECTED["availability"][a["device"]]
                print(f"{control} {a['device']}: valid {a['valid']} / scheduled "
                      f"{a['scheduled']} = {a['availability']:.6f}; want {want['valid']} / "
                      f"{want['scheduled']} = {want['availability']:.6f}")
                for key in ("scheduled", "polls", "valid", "degraded", "failed",
                            "hours_counted"):
                    self.assertEqual(a[key], want[key], f"{control} {a['device']} {key}")
                self.assertAlmostEqual(a["availability"], want["availability"], places=12)
                self.assertEqual(a["hours"], month.HOURS)

    def test_alerts_and_their_times(self):
        for s in self.r["sections"]:
            got = alerts_of(s)
            self.assertEqual(set(got), expected_alerts(s["control"]), s["control"])
            for name, a in got.items():
                _, carried, detect, ack, resolve, by = EXPECTED["alerts"][name]
                print(f"{s['control']} {name}: detect {a['detect_s']} ack {a['ack_s']} "
                      f"resolve {a['resolve_s']} by {a['acknowledged_by']!r}; want "
                      f"{detect} {ack} {resolve} {by!r}")
                self.assertEqual(a["carried_in"], carried, name)
                self.assertEqual(a["detect_s"], detect, name)
                self.assertEqual(a["ack_s"], ack, name)
                self.assertEqual(a["resolve_s"], resolve, name)
                self.assertEqual(a["acknowledged_by"], by, name)

    def test_pending_that_cleared_and_unknown_are_no_alerts(self):
        temp = [a for s in self.r["sections"] for a in s["alerts"]
                if a["alert"] == "room-temp-high"]
        # once in 8.16 and once in 設46: the 11-12 episode only
        self.assertEqual([a["fired"]["utc"] for a in temp], ["2026-11-12T13:01:00.000Z"] * 2)

    def test_times_in_utc_and_local(self):
        a = alerts_of(self.section("設46"))["room-temp-high"]
        self.assertEqual(a["condition_start"], {"utc": "2026-11-12T13:00:00.000Z",
                                                "local": "2026-11-12T22:00:00.000+09:00"})
        self.assertEqual(a["fired"]["local"], "2026-11-12T22:01:00.000+09:00")
        carried = alerts_of(self.section("設76"))["pdu-overcurrent"]
        self.assertEqual(carried["fired"]["utc"], "2026-10-31T23:00:00.000Z")
        self.assertEqual(carried["fired"]["local"], "2026-11-01T08:00:00.000+09:00")

    def test_summary(self):
        s = self.section("設46")["summary"]
        self.assertEqual((s["alerts"], s["acknowledged"], s["resolved"]), (2, 1, 2))
        self.assertEqual((s["detect"]["mean_s"], s["detect"]["max_s"]), (30, 60))
        self.assertEqual((s["resolve"]["mean_s"], s["resolve"]["max_s"]), (3570, 3600))
        carried = self.section("設76")["summary"]
        self.assertEqual((carried["carried_in"], carried["detect"]["n"]), (1, 0))

    def test_silences(self):
        by_id = {s["id"]: s for s in self.r["silences"]}
        self.assertEqual(sorted(by_id), sorted(EXPECTED["silences"]))
        for sid, (planned, lasted, how, controls) in EXPECTED["silences"].items():
            s = by_id[sid]
            print(f"silence {sid} {s['match']}: planned {s['planned_s']} lasted "
                  f"{s['lasted_s']} {s['how_ended']}")
            self.assertEqual((s["planned_s"], s["lasted_s"], s["how_ended"]),
                             (planned, lasted, how))
            self.assertFalse(s["from_config"])
            self.assertEqual([c["control"] for c in self.r["sections"]
                              if any(x["id"] == sid for x in c["silences"])], controls)
        s1 = by_id[1]
        self.assertEqual((s1["by"], s1["why"], s1["match"]),
                         ("facility", "humidifier maintenance", "rack-humidity-*"))
        humid = alerts_of(self.section("設46"))["rack-humidity-high"]
        self.assertEqual(humid["silenced_by"], [{"id": 1, "match": "rack-humidity-*"}])

    def test_agent_downtime(self):
        agent = self.r["agent"]
        got = [(d["from"]["utc"], d["until"]["utc"], d["kind"]) for d in agent["downtime"]]
        print("downtime:", got, agent["downtime_s"])
        self.assertEqual(got, EXPECTED["downtime"])
        self.assertEqual(agent["downtime_s"], EXPECTED["downtime_s"])
        self.assertEqual(agent["downtime"][0]["reason"], "Terminated")
        self.assertEqual(agent["downtime"][1]["away_s"], 1800)

    def test_clock(self):
        c = self.r["clock"]
        want = EXPECTED["clock"]
        self.assertEqual((c["at_start"], c["unsynchronised_s"], c["pending_s"], len(c["changes"])),
                         (want["at_start"], want["unsynchronised_s"], want["pending_s"],
                          want["changes"]))

    def test_config_changes(self):
        got = [(k["action"], k["old_sha256"], k["new_sha256"]) for k in self.r["config_changes"]]
        self.assertEqual(got, EXPECTED["configs"])
        rejected = self.r["config_changes"][2]
        self.assertIn("unknown key 'abve'", rejected["why"])


class ReportCsvAndHtml(unittest.TestCase):
    """The same figures in the other two formats."""

    @classmethod
    def setUpClass(cls):
        cls.month = month.Month()
        rc, cls.csv_text, err = cls.month.report("--format", "csv")
        if rc != 0:
            raise AssertionError(err)
        cls.html_path = os.path.join(cls.month.dir, "report.html")
        rc, out, err = cls.month.report("-o", cls.html_path)
        if rc != 0 or out:
            raise AssertionError(f"rc {rc}, stdout {out[:80]!r}: {err}")
        with open(cls.html_path, encoding="utf-8") as f:
            cls.html = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.month.close()

    def tables(self):
        """{table: [row dicts]} of the CSV."""
        tables, header = {}, None
        for row in csv.reader(io.StringIO(self.csv_text)):
            if not row:
                continue
            if row[0] == "table":
                header = row[1:]
                continue
            tables.setdefault(row[0], []).append(dict(zip(header, row[1:])))
        return tables

    def test_csv_figures(self):
        t = self.tables()
        report = {r["key"]: r["value"] for r in t["report"]}
        self.assertEqual(report["chain"], "intact")
        self.assertEqual(report["downtime_s"], str(EXPECTED["downtime_s"]))
        self.assertEqual(report["clock_unsynchronised_s"], "3000")
        for a in t["availability"]:
            want = EXPECTED["availability"][a["device"]]
            self.assertEqual((int(a["valid"]), int(a["scheduled"]), int(a["degraded"])),
                             (want["valid"], want["scheduled"], want["degraded"]))
            self.assertAlmostEqual(float(a["availability"]), want["availability"], places=6)
        self.assertEqual(sorted({r["control"] for r in t["summary"]}),
                         sorted(EXPECTED["sections"]))
        for a in t["alerts"]:
            _, carried, detect, ack, resolve, by = EXPECTED["alerts"][a["alert"]]
            got = (a["carried_in"], a["detect_s"], a["ack_s"], a["resolve_s"],
                   a["acknowledged_by"])
            want = ("true" if carried else "false", str(detect),
                    "" if ack is None else str(ack), str(resolve), by)
            self.assertEqual(got, want, a["alert"])
        temp = next(a for a in t["alerts"] if a["alert"] == "room-temp-high")
        self.assertEqual((temp["fired_utc"], temp["fired_local"]),
                         ("2026-11-12T13:01:00.000Z", "2026-11-12T22:01:00.000+09:00"))
        self.assertEqual(temp["ack_comment"], "CRAC-2 restarted <check>")
        month_silences = [s for s in t["silences"] if not s["control"]]
        self.assertEqual([(s["id"], s["how_ended"], s["lasted_s"]) for s in month_silences],
                         [("1", "cancelled", "7800"), ("2", "expired", "3600")])
        self.assertEqual([(d["kind"], d["seconds"]) for d in t["downtime"]],
                         [("stopped", "7200"), ("unclean_stop", "1800")])
        self.assertEqual([(c["action"], c["new_sha256"]) for c in t["config"]],
                         [(a, new) for a, _, new in EXPECTED["configs"]])

    def text(self):
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.html))

    def test_html_is_self_contained(self):
        self.assertTrue(self.html.startswith("<!DOCTYPE html>"))
        self.assertNotRegex(self.html, r"<script|<link|<img|@import|url\(|https?://")
        self.assertIn("@page", self.html)
        self.assertIn("thead{display:table-header-group}", self.html)

    def test_html_figures(self):
        text = self.text()
        for want in ("tokyo-dc1", "opsroom-gw1", "2026-11", "Hash chain: intact",
                     "98.819 %", "99.236 %", "256140", "85740",
                     "detected after 60 s", "after 4 min 00 s", "by sato",
                     "after 59 min 00 s", "after 5 h 59 min", "after 90 min 00 s",
                     "by tanaka", "carried in", "2 h 30 min", "50 min 00 s",
                     "2026-11-12 13:01:00 UTC", "2026-11-12 22:01:00 JST",
                     "humidifier maintenance", "cancelled", "lasted 2 h 10 min",
                     "planned 4 h 00 min", "Terminated", "away 1800 s",
                     "unknown key &#39;abve&#39;"):
            self.assertIn(want, text, want)
        self.assertIn(month.SHA["C"], self.html)
        headings = re.findall(r"<h2>Control ([^<]+)</h2>", self.html)
        self.assertEqual(headings, EXPECTED["sections"])

    def test_html_escapes_the_store(self):
        self.assertIn("CRAC-2 restarted &lt;check&gt;", self.html)
        self.assertNotIn("<check>", self.html)


class Tampered(unittest.TestCase):
    """A database changed with SQLite directly: the report is still made,
    and says the chain is broken and where."""

    def setUp(self):
        self.month = month.Month()
        self.db = os.path.join(self.month.state_dir, "facmon.db")

    def tearDown(self):
        self.month.close()

    def sql(self, statement, *args):
        db = sqlite3.connect(self.db)
        try:
            rows = db.execute(statement, args).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    def expect_broken(self, seq, why):
        rc, out, err = self.month.report("--format", "json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        print(f"chain {r['chain']}: {r['verification']}")
        self.assertEqual(r["chain"], "broken")
        self.assertEqual(r["verification"]["bad_seq"], seq)
        self.assertIn(why, r["verification"]["why"])
        self.assertIn(f"broken at seq {seq}", err)
        html = os.path.join(self.month.dir, "tampered.html")
        rc, _, err = self.month.report("-o", html)
        self.assertEqual(rc, 0, err)
        with open(html, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(f"Hash chain: BROKEN</strong> at seq {seq}", text)
        rc, out, err = self.month.report("--format", "csv")
        self.assertIn(f"report,chain_bad_seq,{seq}", out)
        return r

    def test_an_edited_row(self):
        (seq,), = self.sql("SELECT seq FROM events WHERE type = 'ack' AND payload LIKE "
                           "'%sato%'")
        self.sql("UPDATE events SET payload = replace(payload, 'sato', 'nobody') "
                 "WHERE seq = ?", seq)
        r = self.expect_broken(seq, "content was changed")
        # the figures are still those of what is stored
        a = next(a for s in r["sections"] for a in s["alerts"] if a["alert"] == "room-temp-high")
        self.assertEqual(a["acknowledged_by"], "nobody")

    def test_a_deleted_row(self):
        (seq,), = self.sql("SELECT seq FROM events WHERE type = 'config' AND payload LIKE "
                           "'%rejected%'")
        self.sql("DELETE FROM events WHERE seq = ?", seq)
        self.expect_broken(seq + 1, "deleted or inserted")


class Usage(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.month = month.Month()

    @classmethod
    def tearDownClass(cls):
        cls.month.close()

    def run_report(self, *args):
        proc = subprocess.run([facmon_bin(), "report", "-c", self.month.config] + list(args),
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def test_usage_errors(self):
        for args, says in ((["--format", "json"], "--month YYYY-MM is required"),
                           (["--month", "2026-13"], "expected a month as YYYY-MM"),
                           (["--month", "2026-11", "--format", "pdf"], "html, csv or json"),
                           (["--month", "2999-01"], "has not begun"),
                           (["--month", "2026-11", "--json"], "Usage: facmon report")):
            rc, out, err = self.run_report(*args)
            self.assertEqual(rc, 2, f"{args}: {err}")
            self.assertIn(says, err, args)
            self.assertEqual(out, "")

    def test_help(self):
        rc, out, _ = self.run_report("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--month YYYY-MM", out)

    def test_missing_database(self):
        other = os.path.join(self.month.dir, "empty.cfg")
        with open(self.month.config, encoding="utf-8") as f:
            text = f.read().replace(self.month.state_dir, self.month.state_dir + "-none")
        with open(other, "w", encoding="utf-8") as f:
            f.write(text)
        rc, out, err = self.month.report("--format", "json", config=other)
        self.assertEqual(rc, 1)
        self.assertIn("no history yet", err)

    def test_output_file_replaced_whole(self):
        path = os.path.join(self.month.dir, "out.json")
        with open(path, "w") as f:
            f.write("old content that is longer than nothing " * 100)
        rc, out, err = self.month.report("--format", "json", "-o", path)
        self.assertEqual((rc, out), (0, ""), err)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["chain"], "intact")
        self.assertEqual([n for n in os.listdir(self.month.dir) if ".tmp-" in n], [])
        rc, _, err = self.month.report("-o", os.path.join(self.month.dir, "no", "such.html"))
        self.assertEqual(rc, 1)
        self.assertIn("no/such.html", err)

    def test_output_to_a_pipe_is_not_replaced(self):
        # -o /dev/null or a FIFO is written to, never renamed over
        fifo = os.path.join(self.month.dir, "report.fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
        reader.start()
        rc, out, err = self.month.report("--format", "json", "-o", fifo)
        reader.join(30)
        self.assertEqual(rc, 0, err)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced")
        self.assertEqual(json.loads(got[0])["chain"], "intact")
        rc, _, err = self.month.report("--format", "csv", "-o", os.devnull)
        self.assertEqual(rc, 0, err)
        self.assertTrue(stat.S_ISCHR(os.stat(os.devnull).st_mode))

    def test_read_only_store(self):
        # the report only reads: the database is byte for byte the same
        db = os.path.join(self.month.state_dir, "facmon.db")
        with open(db, "rb") as f:
            before = f.read()
        self.month.report("--format", "json")
        with open(db, "rb") as f:
            self.assertEqual(f.read(), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
