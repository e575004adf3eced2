"""test_history.py - `facmon history` and the pruning of the stored events.

The real agent with facmon-sim and mosquitto: an alert fires and resolves,
a leak contact closes and opens, the agent stops, and `facmon history`
(text, --json, --rule, --since) must show exactly the events seen on
R/events, with the same seqs and, in JSON, the very event that was
published. It also reads the database while the agent runs, and answers a
missing database, a bad config and bad options with the documented exit
statuses.

Pruning: a database seeded (with Python's sqlite3) with events older than
agent.history_days = 1 loses them when the agent starts, except the one
with the highest seq, and the next event continues from it.
"""

import datetime
import json
import math
import os
import re
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, facmon_bin, room_config,
                     run_cli, wait_until)

ROOT = "facmon/testsite/gw1"
TEMP_RULE = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical"; }"""
RULES = TEMP_RULE + """,
  { name = "water-leak"; point = "floor.di1"; equals = 1; severity = "major"; }
"""
DEVICES = (("rack-a", 1, "xy-md02"), ("floor", 3, "modbus-di8"))
# a database from before the outbox and the chain, as the PruneAtStart seed
OLD_SCHEMA = ("CREATE TABLE events (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, "
              "rule TEXT NOT NULL, from_state TEXT NOT NULL, "
              "to_state TEXT NOT NULL, payload TEXT NOT NULL)")
# the current table: rows written behind the agent's back carry no hash
SCHEMA = ("CREATE TABLE events (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, "
          "rule TEXT NOT NULL, from_state TEXT NOT NULL, "
          "to_state TEXT NOT NULL, payload TEXT NOT NULL, "
          "delivered INTEGER NOT NULL DEFAULT 1, type TEXT, hash TEXT)")


def event(rule, to, frm=None):
    return lambda p: (p["rule"] == rule and p.get("to") == to
                      and frm in (None, p.get("from")))


def columns(p):
    """(type, rule, from, to) of a published event, as history shows them:
    an alert's states; "acked" for an ack, "reset" for a store reset, the
    action of the agent's own events."""
    kind = p["type"]
    to = {"ack": "acked", "store": "reset"}.get(kind) or p.get("to") or p.get("action")
    return kind, p["rule"], p.get("from", ""), to


def iso(dt):
    """A UTC datetime as the agent writes it: 2026-11-21T22:35:14.123Z."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ago(**delta):
    return iso(datetime.datetime.now(datetime.timezone.utc)
               - datetime.timedelta(**delta))


def history(config_path, *args):
    return run_cli("history", "-c", config_path, *args)


def history_json(test, config_path, *args):
    rc, out, err = history(config_path, "--json", *args)
    test.assertEqual(rc, 0, err)
    return json.loads(out)


def text_rows(test, out):
    """The rows of the text output as (seq, ts, type, rule, from, to,
    severity, value), cut at the header's columns; checks that every line
    keeps to them."""
    lines = out.splitlines()
    header = lines[0]
    test.assertRegex(header, r"^SEQ  TS +TYPE +RULE +FROM +-> TO +SEVERITY  VALUE$")
    starts = [0] + [header.index(f" {name} ") + 1
                    for name in ("TS", "TYPE", "RULE", "FROM", "TO", "SEVERITY")]
    starts += [header.index(" VALUE") + 1]
    rows = []
    for line in lines[1:]:
        test.assertEqual(line[starts[5] - 4:starts[5]], " -> ",
                         f"columns are not aligned:\n{out}")
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        cells[4] = line[starts[4]:starts[5] - 4].strip()
        test.assertRegex(cells[0], r"^\d+$", line)
        rows.append((int(cells[0]),) + tuple(cells[1:]))
    return rows


def stored_seqs(state_dir):
    db = sqlite3.connect(os.path.join(state_dir, "facmon.db"))
    try:
        return [r[0] for r in db.execute("SELECT seq FROM events ORDER BY seq")]
    finally:
        db.close()


def published_events(watch, state_dir, after=0):
    """The events seen on R/events from AFTER, once every stored event
    from there on has arrived (QoS 1 may deliver the last ones late)."""
    def all_in():
        seen = [m.payload for m in watch.messages(f"{ROOT}/events", after)]
        seqs = {p["seq"] for p in seen}
        first = min(seqs, default=None)
        return first is not None and all(
            s in seqs for s in stored_seqs(state_dir) if s >= first) and seen
    return wait_until(all_in, message="the stored events on R/events")


def seed(state_dir, rows, old=False):
    """Writes ROWS (seq, ts, rule, from, to, payload dict) into a new
    facmon.db with the agent's table (OLD: the table of an older agent,
    before the outbox and the chain), in WAL mode like the agent's."""
    db = sqlite3.connect(os.path.join(state_dir, "facmon.db"))
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(OLD_SCHEMA if old else SCHEMA)
        db.executemany("INSERT INTO events (seq, ts, rule, from_state, to_state, "
                       "payload) VALUES (?, ?, ?, ?, ?, ?)",
                       [r[:5] + (json.dumps(r[5]),) for r in rows])
        if not old:
            db.execute("UPDATE events SET type = CASE WHEN to_state = 'acked' "
                       "THEN 'ack' ELSE 'transition' END")
        db.commit()
    finally:
        db.close()


class HistoryOfARun(unittest.TestCase):
    """One agent run with real transitions, then the history of it."""

    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto()
        cls.sim = Sim({1: "xy-md02", 3: "modbus-di8"},
                      sets={"1.temperature": 23.0})
        cls.watch = MqttWatch(cls.broker.port, f"{ROOT}/events")
        cls.agent = Agent(room_config(cls.broker.port, cls.sim.port,
                                      devices=DEVICES, rules=RULES))
        try:
            cls.run_room()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def run_room(cls):
        w, sim = cls.watch, cls.sim
        w.wait_for(f"{ROOT}/events", event("room-temp-high", "ok"))
        w.wait_for(f"{ROOT}/events", event("water-leak", "ok"))
        sim.set(1, "temperature", 35.0)
        w.wait_for(f"{ROOT}/events", event("room-temp-high", "firing"))
        sim.set(3, "di1", 1)
        w.wait_for(f"{ROOT}/events", event("water-leak", "firing"))
        sim.set(1, "temperature", 27.0)
        w.wait_for(f"{ROOT}/events", event("room-temp-high", "ok", "resolved"))
        sim.set(3, "di1", 0)
        w.wait_for(f"{ROOT}/events", event("water-leak", "ok", "resolved"))
        if cls.agent.stop() != 0:
            raise AssertionError(f"agent did not stop cleanly:\n{cls.agent.log()}")
        cls.stopped = time.monotonic()
        cls.published = published_events(w, cls.agent.state_dir)

    @classmethod
    def tearDownClass(cls):
        for f in (cls.agent, cls.watch, cls.sim, cls.broker):
            f.close()

    def config(self):
        return self.agent.config_path

    def test_1_text_lists_every_published_event(self):
        rc, out, err = history(self.config())
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        rows = text_rows(self, out)
        self.assertEqual([(r[0],) + r[2:6] for r in rows],
                         [(p["seq"],) + columns(p) for p in self.published])
        self.assertEqual([r[1] for r in rows], [p["ts"] for p in self.published])
        firing = [r for r in rows if r[3] == "room-temp-high" and r[5] == "firing"]
        self.assertEqual([(r[6], r[7]) for r in firing], [("critical", "35")])
        comm = [r for r in rows if r[3] == "rack-a.comm"]
        self.assertEqual(comm[0][6:], ("major", "up"))
        # the agent's own start and stop, the first and the last
        self.assertEqual([r[2:6] for r in (rows[0], rows[-1])],
                         [("agent", "facmon.agent", "", "started"),
                          ("agent", "facmon.agent", "", "stopped")])

    def test_2_json_is_the_published_events(self):
        rows = history_json(self, self.config())
        self.assertEqual([r["seq"] for r in rows], [p["seq"] for p in self.published])
        for row, published in zip(rows, self.published):
            self.assertEqual(row["event"], published)
            self.assertEqual((row["ts"], row["type"], row["rule"], row["from"], row["to"]),
                             (published["ts"],) + columns(published))
        seqs = [r["seq"] for r in rows]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))

    def test_3_rule_by_name_and_pattern(self):
        leak = history_json(self, self.config(), "--rule", "water-leak")
        self.assertEqual([(r["from"], r["to"]) for r in leak],
                         [("unknown", "ok"), ("ok", "firing"), ("firing", "resolved"),
                          ("resolved", "ok")])
        self.assertEqual([r["seq"] for r in leak],
                         [p["seq"] for p in self.published if p["rule"] == "water-leak"])
        room = history_json(self, self.config(), "--rule", "room-*")
        self.assertEqual({r["rule"] for r in room}, {"room-temp-high"})
        comm = history_json(self, self.config(), "--rule", "*.comm")
        self.assertEqual({r["rule"] for r in comm}, {"rack-a.comm", "floor.comm"})
        rc, out, err = history(self.config(), "--rule", "no-such-rule")
        self.assertEqual((rc, out, err), (0, "", "no events\n"))

    def test_4_since_leaves_out_older_events(self):
        time.sleep(max(0.0, self.stopped + 1.5 - time.monotonic()))
        rc, out, err = history(self.config(), "--since", "1s")
        self.assertEqual((rc, out, err), (0, "", "no events\n"))
        self.assertEqual(history_json(self, self.config(), "--since", "1s"), [])
        self.assertEqual(len(history_json(self, self.config(), "--since", "1h")),
                         len(self.published))

    def test_5_read_while_the_agent_runs_and_since_splits_runs(self):
        time.sleep(max(0.0, self.stopped + 3.0 - time.monotonic()))
        restarted = time.monotonic()
        mark = self.watch.mark()
        self.agent.start()
        try:
            # alert states resume across the restart (no unknown -> ok
            # again): the second run's first event is a new firing
            self.sim.set(3, "di1", 1)
            self.watch.wait_for(f"{ROOT}/events", event("water-leak", "firing"),
                                after=mark)
            live = history_json(self, self.config())
            self.assertEqual([r["event"] for r in live[:len(self.published)]],
                             self.published)
            self.assertGreater(len(live), len(self.published))
        finally:
            self.assertEqual(self.agent.stop(), 0)
            self.sim.set(3, "di1", 0)
        second = published_events(self.watch, self.agent.state_dir, mark)
        self.assertEqual(second[0]["seq"], self.published[-1]["seq"] + 1)
        # the second run only: it began less than SINCE ago, the first run
        # ended 3 s before it did
        since = math.ceil(time.monotonic() - restarted) + 1
        rows = history_json(self, self.config(), "--since", f"{since}s")
        self.assertEqual([r["seq"] for r in rows], [p["seq"] for p in second])


class Usage(unittest.TestCase):

    def setUp(self):
        self.agent = Agent(room_config(1883, 1502, rules=TEMP_RULE), start=False)

    def tearDown(self):
        self.agent.close()

    def test_missing_database(self):
        rc, out, err = history(self.agent.config_path)
        self.assertEqual(rc, 1)
        db = os.path.join(self.agent.state_dir, "facmon.db")
        self.assertEqual(err, f"facmon history: no history yet: {db} does not exist\n")
        self.assertFalse(os.path.exists(db), "history must not create the database")
        rc, out, err = history(self.agent.config_path, "--json")
        self.assertEqual((rc, out), (1, ""))

    def test_not_a_database(self):
        db = os.path.join(self.agent.state_dir, "facmon.db")
        with open(db, "w") as f:
            f.write("garbage " * 100)
        rc, out, err = history(self.agent.config_path)
        self.assertEqual(rc, 1)
        self.assertIn(f"{db}: file is not a database", err)
        with open(db) as f:
            self.assertTrue(f.read().startswith("garbage"), "left as it was")

    def test_invalid_config(self):
        fd, path = tempfile.mkstemp(prefix="facmon-history-", suffix=".cfg")
        with os.fdopen(fd, "w") as f:
            f.write(self.agent.config().replace('log_level = "debug";',
                                                'log_level = "debug"; history_days = 0;'))
        try:
            rc, out, err = history(path)
        finally:
            os.unlink(path)
        self.assertEqual(rc, 1)
        self.assertRegex(err, re.escape(path) +
                         r":\d+: agent\.history_days: 0 is out of range \(1..3650\)")

    def test_bad_options(self):
        for args, want in ((("--since", "7"), "--since '7': expected a whole number"),
                           (("--since", "1y"), "--since '1y'"),
                           (("--since", "-1d"), "--since '-1d'"),
                           (("--rule", ""), "--rule needs a rule name"),
                           (("--bogus",), "Usage: facmon history")):
            rc, out, err = history(self.agent.config_path, *args)
            self.assertEqual(rc, 2, args)
            self.assertIn(want, err, args)

    def test_help(self):
        rc, out, _ = run_cli("history", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("Usage: facmon history [-c FILE] [--since DURATION | --from TIME] "
                      "[--until TIME]", out)
        for option in ("--type TYPE", "--control ID", "--csv"):
            self.assertIn(option, out)

    def test_acknowledgements_are_listed_as_stored(self):
        """An acknowledgement (stored by the engine as an event whose to is
        "acked") is printed like any other event."""
        seed(self.agent.state_dir, [
            (7, ago(minutes=5), "room-temp-high", "ok", "firing",
             {"seq": 7, "rule": "room-temp-high", "severity": "critical", "value": 31.5}),
            (8, ago(minutes=4), "room-temp-high", "firing", "acked",
             {"seq": 8, "rule": "room-temp-high", "by": "ops", "comment": "fan swapped"}),
        ])
        rc, out, err = history(self.agent.config_path)
        self.assertEqual(rc, 0, err)
        rows = text_rows(self, out)
        self.assertEqual(rows[1][2:6], ("ack", "room-temp-high", "firing", "acked"))
        self.assertEqual(rows[1][6:], ("", 'by ops: "fan swapped"'))
        self.assertEqual(rows[0][6:], ("critical", "31.5"))
        rows = history_json(self, self.agent.config_path)
        self.assertEqual(rows[1]["event"]["by"], "ops")
        self.assertEqual(rows[1]["to"], "acked")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run as another user")
    def test_reader_who_may_not_write_state_dir(self):
        """An auditor in the agent's group reads the history of a stopped
        agent without being able to create the WAL's -wal and -shm files."""
        seed(self.agent.state_dir, [
            (1, ago(minutes=5), "room-temp-high", "ok", "firing",
             {"severity": "critical", "value": 31.5})])
        self.assertFalse(os.path.exists(
            os.path.join(self.agent.state_dir, "facmon.db-wal")))
        for path, mode in ((self.agent.tmp, 0o755), (self.agent.state_dir, 0o755),
                           (self.agent.config_path, 0o644)):
            os.chmod(path, mode)
        proc = subprocess.run(
            ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
             "--clear-groups", facmon_bin(), "history", "-c",
             self.agent.config_path, "--json"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([r["seq"] for r in json.loads(proc.stdout)], [1])
        self.assertEqual(sorted(os.listdir(self.agent.state_dir)), ["facmon.db"])


class PruneAtStart(unittest.TestCase):

    def test_old_events_go_and_seq_continues(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/events") as watch, \
                Agent(room_config(broker.port, sim.port, rules=TEMP_RULE).replace(
                    'log_level = "debug";', 'log_level = "debug";\n  history_days = 1;'),
                      start=False) as agent:
            payload = {"severity": "critical", "value": 31.0}
            seed(agent.state_dir, [
                (40, ago(days=30), "room-temp-high", "ok", "firing", payload),
                (41, ago(days=5), "room-temp-high", "firing", "resolved", payload),
                (42, ago(days=2), "room-temp-high", "resolved", "ok", payload),
            ], old=True)
            agent.start()
            agent.wait_log(r"INFO store: pruned 2 events older than 1 day \(before "
                           r"\d{4}-\d\d-\d\dT[\d:.]+Z\)")
            first = watch.wait_for(f"{ROOT}/events").payload
            self.assertEqual(first["seq"], 43, "seq continues from the newest kept")
            watch.wait_for(f"{ROOT}/events", event("room-temp-high", "ok"))
            self.assertEqual(agent.stop(), 0)

            published = [p["seq"] for p in published_events(watch, agent.state_dir)]
            self.assertEqual(stored_seqs(agent.state_dir), [42] + published)
            db = sqlite3.connect(os.path.join(agent.state_dir, "facmon.db"))
            try:
                indexes = [r[0] for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index'")]
            finally:
                db.close()
            self.assertIn("events_ts", indexes, "an existing database gets the index")
            rows = history_json(self, agent.config_path)
            self.assertEqual([r["seq"] for r in rows], [42] + published)


if __name__ == "__main__":
    unittest.main(verbosity=2)
