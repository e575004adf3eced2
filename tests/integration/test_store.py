"""test_store.py - events are stored before they are published, and `seq`
continues across a restart of the agent, so a consumer that drops
duplicates by seq never drops a new event as an old one. A state_dir holding
a file that is not a database is moved aside and the agent keeps running.
"""

import glob
import os
import sqlite3
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config

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
                           lambda p: p["rule"] == "room-temp-high" and p["to"] == "ok")
            first_run = [m.payload["seq"] for m in watch.messages()]
            self.assertEqual(agent.stop(), 0)
            stored = stored_events(agent.state_dir)
            self.assertEqual([row[0] for row in stored], first_run,
                             "every published event is in the store")
            self.assertIn(("room-temp-high", "unknown", "ok"),
                          [row[1:] for row in stored])

            mark = watch.mark()
            agent.start()
            sim.set(1, "temperature", 31.0)
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p["rule"] == "room-temp-high" and p["to"] == "firing",
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
