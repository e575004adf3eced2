"""test_store.py - events are stored before they are published, and `seq`
continues across a restart of the agent, so a consumer that drops
duplicates by seq never drops a new event as an old one. A state_dir holding
a file that is not a database is moved aside and the agent keeps running.
When the history is lost after events were published (the database turned
corrupt, or deleted), seq still goes on above every seq ever used (seq.mark
beside the database), and the loss is the first event of the new history:
`"type": "store"`, rule `facmon.store`, on R/events and in `facmon history`.
"""

import glob
import json
import os
import sqlite3
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, run_cli

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""


def stored_events(state_dir):
    db = sqlite3.connect(os.path.join(state_dir, "facmon.db"))
    try:
        return db.execute("SELECT seq, rule, from_state, to_state FROM events "
                          "ORDER BY seq").fetchall()
    finally:
        db.close()


class Store(unittest.TestCase):

    def test_seq_continues_after_restart(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/events") as watch, \
                Agent(room_config(broker.port, sim.port, rules=RULES)) as agent:
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p["rule"] == "room-temp-high" and p.get("to") == "ok")
            self.assertEqual(agent.stop(), 0)
            # the last one, the agent's "stopped", goes out as it stops
            watch.wait_for(f"{ROOT}/events", lambda p: p.get("action") == "stopped")
            first_run = [m.payload["seq"] for m in watch.messages()]
            stored = stored_events(agent.state_dir)
            self.assertEqual([row[0] for row in stored], first_run,
                             "every published event is in the store")
            self.assertIn(("room-temp-high", "unknown", "ok"),
                          [row[1:] for row in stored])

            mark = watch.mark()
            agent.start()
            sim.set(1, "temperature", 31.0)
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p["rule"] == "room-temp-high" and p.get("to") == "firing",
                           after=mark)
            second_run = [m.payload["seq"] for m in watch.messages(after=mark)]
            self.assertEqual(second_run[0], first_run[-1] + 1,
                             f"seq restarted: {first_run} then {second_run}")
            self.assertEqual(second_run,
                             list(range(second_run[0], second_run[0] + len(second_run))))

    def test_corrupt_database_is_moved_aside(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/events") as watch, \
                Agent(room_config(broker.port, sim.port, rules=RULES),
                      start=False) as agent:
            with open(os.path.join(agent.state_dir, "facmon.db"), "wb") as f:
                f.write(b"this is not an SQLite database, just garbage " * 100)
            agent.start()
            watch.wait_for(f"{ROOT}/events", lambda p: p["rule"] == "room-temp-high")
            agent.wait_log(r"ERROR store: .*facmon\.db is not a usable database; "
                           r"moved it to .*facmon\.db\.corrupt-\d+")
            aside = glob.glob(os.path.join(agent.state_dir, "facmon.db.corrupt-*"))
            self.assertEqual(len(aside), 1)
            with open(aside[0], "rb") as f:
                self.assertTrue(f.read().startswith(b"this is not an SQLite"))
            self.assertTrue(stored_events(agent.state_dir))

    def lost_history_goes_on_above(self, lose):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/events") as watch, \
                Agent(room_config(broker.port, sim.port, rules=RULES)) as agent:
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p["rule"] == "room-temp-high" and p["to"] == "ok")
            self.assertEqual(agent.stop(), 0)
            before = max(m.payload["seq"] for m in watch.messages())
            lose(os.path.join(agent.state_dir, "facmon.db"))

            mark = watch.mark()
            agent.start()
            reset = watch.wait_for(f"{ROOT}/events",
                                   lambda p: p["type"] == "store", after=mark).payload
            sim.set(1, "temperature", 31.0)
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p.get("rule") == "room-temp-high"
                           and p["to"] == "firing", after=mark)
            after = [m.payload for m in watch.messages(after=mark)]
            self.assertEqual(after[0], reset, "the loss is the first event")
            self.assertGreater(reset["seq"], before, "seq went backwards")
            self.assertEqual(reset["rule"], "facmon.store")
            self.assertEqual(reset["event"], "reset")
            self.assertGreaterEqual(reset["seq_mark"], before)
            seqs = [p["seq"] for p in after]
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))),
                             "contiguous after the reset")
            self.assertEqual(agent.stop(), 0)
            rc, out, err = run_cli("history", "-c", agent.config_path, "--json")
            self.assertEqual(rc, 0, err)
            rows = json.loads(out)
            self.assertEqual((rows[0]["seq"], rows[0]["rule"], rows[0]["to"]),
                             (reset["seq"], "facmon.store", "reset"))
            rc, out, err = run_cli("history", "-c", agent.config_path)
            self.assertEqual(rc, 0, err)
            line = next(l for l in out.splitlines() if "facmon.store" in l)
            self.assertIn("-> reset", line)
            self.assertIn(f"seq continues above {reset['seq_mark']}", line)
            return reset

    def test_corrupt_database_does_not_restart_seq(self):
        def corrupt(db):
            with open(db, "r+b") as f:
                f.write(b"garbage over the SQLite header!!")
        reset = self.lost_history_goes_on_above(corrupt)
        self.assertIn("not a usable database", reset["reason"])
        self.assertIn("facmon.db.corrupt-", reset["moved_to"])

    def test_deleted_database_does_not_restart_seq(self):
        def delete(db):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
        reset = self.lost_history_goes_on_above(delete)
        self.assertIn("was missing", reset["reason"])
        self.assertIsNone(reset["unsent_lost"])

    def test_unwritable_state_dir_refuses_to_start(self):
        with Mosquitto() as broker, \
                Agent(room_config(broker.port, 1502).replace(
                    'state_dir = "{state_dir}"',
                    'state_dir = "/proc/facmon-no-such-dir"'), start=False) as agent:
            agent.start()
            self.assertEqual(agent.process.wait(10), 1)
            self.assertRegex(agent.log(), r"ERROR store: state_dir /proc/facmon-no-such-dir: "
                                          r"cannot create")


if __name__ == "__main__":
    unittest.main(verbosity=2)
