"""test_reload.py - SIGHUP: the config read again while the agent runs.

A real agent, simulator and broker. A valid changed config (a rule's
threshold changed, a device and its rule added, another device and its
rule removed) is applied without losing anything: an alert firing before
stays firing with no fresh event, seq continues, the history is whole, the
removed device's and alert's retained topics are cleared, the new device
is polled, and the device the reload did not touch is polled on without a
gap. An invalid config changes nothing and says why, with FILE:LINE. The
heartbeat on R/status names the config by its SHA-256 and counts polls
and failures per bus, carried across a reload.
"""

import json
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, event, room_config, run_cli,
                     state_is)

ROOT = "facmon/testsite/gw1"
BEFORE_DEVICES = (("rack-a", 1, "xy-md02"), ("rack-b", 2, "xy-md02"))
BEFORE_RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; },
  { name = "rack-b-hot"; point = "rack-b.temperature"; above = 30.0; }
"""
AFTER_DEVICES = (("rack-a", 1, "xy-md02"), ("floor", 3, "modbus-di8"))
AFTER_RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 40.0; },
  { name = "water-leak"; point = "floor.di1"; equals = 1; severity = "critical"; }
"""


class Reload(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02", 2: "xy-md02", 3: "modbus-di8"},
                       sets={"1.temperature": 22.0, "2.temperature": 22.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.config = lambda devices, rules: room_config(
            self.broker.port, self.sim.port, devices=devices, rules=rules)
        self.agent = Agent(self.config(BEFORE_DEVICES, BEFORE_RULES))
        self.watch.wait_for(f"{ROOT}/alert/rack-b-hot", state_is("ok"))

    def tearDown(self):
        for f in (self.agent, self.watch, self.sim, self.broker):
            f.close()

    def events(self, after=0):
        return [m.payload for m in self.watch.messages(f"{ROOT}/events", after)]

    def test_valid_config_keeps_state_seq_history_and_polling(self):
        self.sim.set(1, "temperature", 45.0)
        fired = self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "firing")
                                    ).payload
        time.sleep(1.5)
        last_seq = max(p["seq"] for p in self.events())

        mark = self.watch.mark()
        self.agent.write_config(self.config(AFTER_DEVICES, AFTER_RULES))
        self.agent.reload()
        self.agent.wait_log(r"INFO reloaded: 2 devices, 2 rules \(were 2, 2\)")
        # the new device is polled and its rule evaluated
        self.watch.wait_for(f"{ROOT}/telemetry/floor", after=mark)
        self.watch.wait_for(f"{ROOT}/alert/water-leak", state_is("ok"), after=mark)
        # the firing alert is still firing, the same firing (its since)
        state = self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("firing"),
                                    after=mark).payload
        self.assertEqual(state["since"], fired["ts"])
        # the removed device and rule: their retained topics cleared
        for topic in ("alert/rack-b-hot", "device/rack-b/state", "telemetry/rack-b"):
            self.watch.wait_for(f"{ROOT}/{topic}", lambda p: p == "", after=mark)
        time.sleep(2)
        self.assertFalse([p for p in self.events(mark) if p["rule"] == "room-temp-high"],
                         "no fresh event for an alert that was firing")
        # the new threshold applies: 45 is above 40, 35 is not
        self.sim.set(1, "temperature", 35.0)
        resolved = self.watch.wait_for(f"{ROOT}/events", event("room-temp-high", "resolved"),
                                       after=mark).payload
        # seq continues, and the history holds every event once
        after = self.events(mark)
        self.assertEqual(min(p["seq"] for p in after), last_seq + 1)
        self.assertGreater(resolved["seq"], last_seq)
        rc, out, err = run_cli("history", "-c", self.agent.config_path, "--json")
        self.assertEqual(rc, 0, err)
        seqs = [r["seq"] for r in json.loads(out)]
        self.assertEqual(seqs, list(range(1, max(seqs) + 1)))
        # rack-a, untouched by the reload, was polled on without a gap
        times = [m.time for m in self.watch.messages(f"{ROOT}/telemetry/rack-a")]
        gaps = [b - a for a, b in zip(times, times[1:])]
        print(f"rack-a polls: {len(times)}, largest gap {max(gaps):.2f} s (interval 1 s)")
        self.assertLess(max(gaps), 2.5)

    def test_heartbeat_names_the_config_and_counts_per_bus(self):
        status = self.watch.wait_for(f"{ROOT}/status", state_is("online")).payload
        self.assertRegex(status["config_sha256"], r"^[0-9a-f]{64}$")
        self.assertGreaterEqual(status["uptime_s"], 0)
        self.assertEqual(set(status["buses"]), {"sim"})
        # the same file again: the same hash; counters carried, still counting
        self.sim.mute(2)
        time.sleep(2.5)
        mark = self.watch.mark()
        self.agent.reload()
        same = self.watch.wait_for(f"{ROOT}/status", state_is("online"), after=mark).payload
        self.assertEqual(same["config_sha256"], status["config_sha256"])
        self.assertGreater(same["buses"]["sim"]["polls"], status["buses"]["sim"]["polls"])
        self.assertGreaterEqual(same["buses"]["sim"]["polls_failed"], 2)
        self.assertGreaterEqual(same["buses"]["sim"]["requests_failed"], 2)
        self.assertGreater(same["uptime_s"] * 1000 + 999, 2500)
        # what the loop spent on the poll results it took, carried too
        self.assertGreater(same["loop"]["results"], status["loop"]["results"])
        self.assertGreater(same["loop"]["cpu_ms"], status["loop"]["cpu_ms"])
        # a changed config: another hash
        mark = self.watch.mark()
        self.agent.write_config(self.config(AFTER_DEVICES, AFTER_RULES))
        self.agent.reload()
        changed = self.watch.wait_for(f"{ROOT}/status", state_is("online"),
                                      after=mark).payload
        self.assertNotEqual(changed["config_sha256"], status["config_sha256"])

    def test_invalid_config_changes_nothing(self):
        mark = self.watch.mark()
        log_mark = len(self.agent.log())
        self.agent.write_config(self.config(AFTER_DEVICES, AFTER_RULES).replace(
            'above = 40.0;', 'above = "forty";'))
        self.agent.reload()
        self.agent.wait_log(r"ERROR reload: .*\.cfg:\d+: rules\[0\] \([\w.-]+\)\.above: expected a "
                            r"number")
        self.agent.wait_log(r"still running the previous config")
        self.assertNotIn("INFO reloaded", self.agent.log()[log_mark:])
        # still the old devices and rules: rack-b polled, its rule working
        self.watch.wait_for(f"{ROOT}/telemetry/rack-b", after=mark)
        self.sim.set(2, "temperature", 35.0)
        self.watch.wait_for(f"{ROOT}/events", event("rack-b-hot", "firing"), after=mark)
        self.assertFalse(self.watch.messages(f"{ROOT}/telemetry/floor", mark))
        self.assertTrue(self.agent.running())


if __name__ == "__main__":
    unittest.main(verbosity=2)
