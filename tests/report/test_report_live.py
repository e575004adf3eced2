"""test_report_live.py - the real agent counts its polls for the report.

A real mosquitto, facmon-sim and `facmon run` polling one device every
second. The device answers (telemetry arrives), stops answering (muted in
the simulator until rack-a.comm fires) and answers again (until it
resolves); then the agent stops with SIGTERM. The availability table of
facmon.db then holds the device's polls of the hour: every poll that
brought telemetry valid, the muted ones failed, with the device's
interval, written at the clean stop in one row per device and hour. A
restart in the same hour adds to that row rather than writing a second
one. `facmon report` on the current month runs next to the data (a month
in progress is reported up to the start of the current hour).
"""

import json
import os
import sqlite3
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, event, room_config, run_cli

ROOT = "facmon/testsite/gw1"


def rows(state_dir):
    """{hour_ms: (polls, valid, degraded, interval_s)} of rack-a."""
    db = sqlite3.connect(os.path.join(state_dir, "facmon.db"))
    try:
        return {h: (p, v, d, i) for h, p, v, d, i in db.execute(
            "SELECT hour_ms, polls, valid, degraded, interval_s FROM availability "
            "WHERE device = 'rack-a'")}
    finally:
        db.close()


def total(counts):
    return tuple(sum(c[k] for c in counts.values()) for k in range(3))


class LiveCounts(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 23.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.agent = Agent(room_config(self.broker.port, self.sim.port, interval=1,
                                       down_after=2))

    def tearDown(self):
        for f in (self.agent, self.watch, self.sim, self.broker):
            f.close()

    def telemetry(self, n, after=0):
        """Waits for N telemetry messages of rack-a after index AFTER."""
        topic = f"{ROOT}/telemetry/rack-a"
        for _ in range(n):
            after = self.watch.wait_for(topic, timeout=15, after=after).index + 1
        return after

    def test_polls_counted_per_hour(self):
        seen = self.telemetry(3)
        self.sim.mute(1)
        seen = self.watch.wait_for(f"{ROOT}/events", event("rack-a.comm", "firing"),
                                   timeout=20, after=seen).index
        self.sim.mute(1, on=False)
        seen = self.watch.wait_for(f"{ROOT}/events", event("rack-a.comm", "resolved"),
                                   timeout=20, after=seen).index
        self.telemetry(2, after=seen)
        self.assertEqual(rows(self.agent.state_dir), {}, "nothing before the hour ends")
        self.assertEqual(self.agent.stop(), 0, self.agent.log())
        counts = rows(self.agent.state_dir)
        polls, valid, degraded = total(counts)
        print(f"after the stop: {counts} (polls, valid, degraded, interval)")
        telemetry = len(self.watch.messages(f"{ROOT}/telemetry/rack-a"))
        self.assertGreaterEqual(valid, 5)
        self.assertGreaterEqual(polls - valid - degraded, 2)  # muted: failed
        # every valid poll published telemetry (one more may be in flight)
        self.assertLessEqual(abs(valid - telemetry), 1, f"valid {valid}, telemetry {telemetry}")
        self.assertTrue(all(c[3] == 1 for c in counts.values()))
        hour = int(time.time()) // 3600 * 3600 * 1000
        self.assertIn(max(counts), (hour, hour - 3600 * 1000))

        # a restart in the same hour adds to the row
        self.agent.start()
        self.telemetry(2, after=len(self.watch.messages()))
        self.assertEqual(self.agent.stop(), 0, self.agent.log())
        again = rows(self.agent.state_dir)
        print(f"after a restart: {again}")
        self.assertGreater(total(again)[0], polls)
        self.assertLessEqual(len(again), len(counts) + 1)  # +1 only if the hour turned

        month = time.strftime("%Y-%m", time.gmtime())
        rc, out, err = run_cli("report", "-c", self.agent.config_path, "--month", month,
                               "--format", "json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertTrue(r["period"]["partial"])
        self.assertEqual(r["chain"], "intact")


if __name__ == "__main__":
    unittest.main(verbosity=2)
