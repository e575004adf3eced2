"""test_delivery.py - no event is lost: the outbox across outages and crashes.

The agent talks to a real mosquitto through TcpProxy, a relay these tests
cut and restore (the broker going away, as the agent sees it); a subscriber
connected to the broker directly sees everything that arrives. The events
come from 32 alarm contacts (four 8-input modules in the simulator) toggled
over and over. Every event the agent stored (read from its database) must
reach the subscriber, in seq order, none missing; duplicates are allowed
(QoS 1) and a consumer deduplicating by seq sees each exactly once:
- the broker away while 200 transitions happen, then back: the backlog and
  every alert state go out before any telemetry;
- the agent killed with SIGKILL while the broker is away and events wait,
  restarted before the broker comes back: nothing lost, seq continues;
- a connection that drops every few seconds for a minute.
"""

import os
import re
import sqlite3
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, TcpProxy, room_config, wait_until

ROOT = "facmon/testsite/gw1"
UNITS = (3, 4, 5, 6)
DEVICES = tuple((f"di{u}", u, "modbus-di8") for u in UNITS)
RULES = ",\n".join(f'  {{ name = "contact-{u}-{k}"; point = "di{u}.di{k}"; equals = 1; }}'
                   for u in UNITS for k in range(1, 9))


def stored_seqs(agent):
    """Every seq the agent stored, in order."""
    db = sqlite3.connect(f"file:{os.path.join(agent.state_dir, 'facmon.db')}?mode=ro",
                         uri=True)
    try:
        return [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
    finally:
        db.close()


def logged_seq(agent):
    """The highest seq in the agent's log (0 if none)."""
    seqs = [int(s) for s in re.findall(r" seq=(\d+)", agent.log())]
    return max(seqs, default=0)


class Delivery(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.proxy = TcpProxy(self.broker.port)
        self.sim = Sim({u: "modbus-di8" for u in UNITS})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.agent = Agent(room_config(self.proxy.port, self.sim.port, devices=DEVICES,
                                       rules=RULES))
        self.level = 0
        wait_until(lambda: logged_seq(self.agent) >= len(UNITS) * 8, 20,
                   message="every contact's first verdict")

    def tearDown(self):
        for f in (self.agent, self.watch, self.proxy, self.sim, self.broker):
            f.close()

    def flip(self):
        """Every contact to the other position: one transition each."""
        self.level ^= 1
        for u in UNITS:
            for k in range(1, 9):
                self.sim.set(u, f"di{k}", self.level)

    def churn_until(self, seq, timeout=60):
        """Flips contacts until the agent has stored event SEQ."""
        deadline = time.monotonic() + timeout
        while logged_seq(self.agent) < seq:
            self.assertLess(time.monotonic(), deadline, "not enough events")
            self.flip()
            time.sleep(1.2)  # one poll (interval 1 s) sees each position

    def assert_all_delivered(self, timeout=60):
        """Every stored event reached the subscriber, first copies in seq
        order, none missing."""
        def delivered():
            got = {m.payload["seq"] for m in self.watch.messages(f"{ROOT}/events")}
            return set(stored_seqs(self.agent)) <= got
        wait_until(delivered, timeout, interval=0.5, message="every stored event")
        seqs = stored_seqs(self.agent)
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "seq has no gap")
        first, seen = [], set()
        for m in self.watch.messages(f"{ROOT}/events"):
            if m.payload["seq"] not in seen:
                seen.add(m.payload["seq"])
                first.append(m.payload["seq"])
        self.assertEqual(first, sorted(first), "first copies arrive in seq order")
        self.assertEqual(set(first), set(seqs))
        return len(seqs), len(self.watch.messages(f"{ROOT}/events")) - len(seqs)

    def test_200_transitions_while_the_broker_is_away(self):
        before = logged_seq(self.agent)
        self.proxy.down()
        self.agent.wait_log(r"mqtt\[.*\]: connection lost")
        self.churn_until(before + 200)
        self.assertLessEqual(max([m.payload["seq"] for m in
                                  self.watch.messages(f"{ROOT}/events")], default=0),
                             before, "nothing went out during the outage")
        mark = self.watch.mark()
        self.proxy.up()
        total, dups = self.assert_all_delivered()
        print(f"{total - before} events from the outage delivered, {dups} duplicates")
        self.agent.wait_log(r"outbox: sending \d+ waiting events")
        # alerts first: the backlog and the alert states before any telemetry
        telemetry = self.watch.wait_for(f"{ROOT}/telemetry/+", after=mark).index
        backlog = [m.index for m in self.watch.messages(f"{ROOT}/events", mark)]
        states = [m.index for m in self.watch.messages(f"{ROOT}/alert/+", mark)]
        self.assertTrue(backlog and states)
        self.assertLess(max(backlog), telemetry, "every waiting event before telemetry")
        self.assertLess(min(states), telemetry, "alert states before telemetry")
        # contacts, comm alerts, the bus, the agent's own four
        self.assertEqual(len({m.topic for m in self.watch.messages(f"{ROOT}/alert/+", mark)}),
                         len(UNITS) * 8 + len(UNITS) + 1 + 4,
                         "every alert state republished after the outage")

    def test_kill_9_while_events_wait(self):
        self.proxy.down()
        self.agent.wait_log(r"mqtt\[.*\]: connection lost")
        before = logged_seq(self.agent)
        self.churn_until(before + 40)
        waiting = logged_seq(self.agent)
        self.assertLess(self.agent.kill(), 0)  # SIGKILL: no goodbye, no flush
        self.agent.start()  # restarted while the broker is still away
        self.agent.wait_log(r"outbox: \d+ events? from before the restart wait")
        self.churn_until(waiting + 10)
        self.assertEqual(stored_seqs(self.agent)[:waiting], list(range(1, waiting + 1)))
        self.proxy.up()
        total, dups = self.assert_all_delivered()
        self.assertGreater(total, waiting, "seq continued after the restart")
        print(f"{total} events, {dups} duplicates, across a SIGKILL")

    def test_connection_dropping_every_few_seconds_for_a_minute(self):
        end = time.monotonic() + 60
        cuts = 0
        while time.monotonic() < end:
            self.flip()
            time.sleep(1.2)
            if int(time.monotonic()) % 3 == 0:
                self.proxy.down()
                cuts += 1
                self.flip()
                time.sleep(1.2)
                self.proxy.up()
        total, dups = self.assert_all_delivered()
        print(f"{cuts} cuts in a minute: {total} events, {dups} duplicates")
        self.assertGreater(cuts, 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
