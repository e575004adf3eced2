"""test_bridge.py - a site's broker bridged to a central broker.

The multi-site topology of docs/central-broker.md on loopback: the agent
and the simulator talk to the gateway's own mosquitto ("local"), which
runs the shipped packaging/mosquitto/facmon-bridge.conf (its address
pointed at the second broker, without TLS or credentials, reconnecting
after 1 to 2 s) and bridges facmon/<site>/# to a plain mosquitto
("central"). Subscribers on both brokers record what each one saw.

Checks: topics and payloads arrive centrally unchanged, retained states
as retained; while the central broker is down (the WAN is cut) the local
broker queues every event, and after it is back every event seq the local
broker saw arrives centrally, in seq order, duplicates being exact copies;
a clean restart of the local broker during the outage keeps that queue
(persistence); the bridge's state topic reads 1 again after a reconnect,
and 0 on the central broker when the gateway's broker dies, while the
agent's R/status there still says online (its last will never left the
site).

The central broker persists only so that the central subscriber's
session (client id and clean_session false) outlives the outage and
nothing that the bridge delivers right after the reconnect is missed by a
subscriber not yet back; everything published during the outage is
queued by the local broker, which is what is under test.
"""

import os
import sys
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, event, room_config,
                     state_is, wait_until)

SITE, NAME = "tokyo-dc1", "opsroom-gw1"
ROOT = f"facmon/{SITE}/{NAME}"
BRIDGE_STATE = f"facmon-bridge/{SITE}/{NAME}"
DEVICES = (("rack-a", 1, "xy-md02"), ("rack-b", 2, "xy-md02"))
# (rule, unit, point, a value that fires it, one that clears it). The
# tests take them in turn: an alert that fires 4 times in 10 minutes is
# held firing (flap damping), and they make 6 fire-and-resolve cycles.
TRIGGERS = [("rack-a-hot", 1, "temperature", 35.0, 25.0),
            ("rack-b-hot", 2, "temperature", 35.0, 25.0),
            ("rack-a-humid", 1, "humidity", 80.0, 50.0),
            ("rack-b-humid", 2, "humidity", 80.0, 50.0)]
RULES = """
  { name = "rack-a-hot"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "major"; },
  { name = "rack-b-hot"; point = "rack-b.temperature";
    above = 30.0; clear = 28.0; severity = "major"; },
  { name = "rack-a-humid"; point = "rack-a.humidity";
    above = 70.0; clear = 65.0; severity = "major"; },
  { name = "rack-b-humid"; point = "rack-b.humidity";
    above = 70.0; clear = 65.0; severity = "major"; }
"""
GATEWAY_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "packaging", "mosquitto",
                            "facmon-bridge.conf")
# Lines of the shipped file left out here: the harness sets the listener
# and logging, the test a private persistence directory, the central
# broker's address and a quick reconnect; the central broker here has
# neither TLS nor accounts.
_REPLACED = {"pid_file", "log_dest", "listener", "allow_anonymous",
             "persistence_location", "address", "restart_timeout",
             "bridge_cafile", "bridge_certfile", "bridge_keyfile",
             "remote_username", "remote_password"}


def gateway_config(central_port):
    """The shipped gateway config, runnable on loopback: extra config for
    harness.Mosquitto."""
    with open(GATEWAY_CONF) as f:
        lines = f.read().splitlines()
    kept = [line for line in lines
            if line.split(" ", 1)[0] not in _REPLACED]
    for key in ("persistence true", "cleansession false",
                f"topic facmon/{SITE}/# out 1",
                f"notification_topic {BRIDGE_STATE}"):
        if key not in kept:
            raise AssertionError(f"{GATEWAY_CONF} has no line {key!r}: "
                                 f"update test_bridge.py with it")
    at = kept.index("connection facmon-central") + 1
    kept[at:at] = [f"address 127.0.0.1:{central_port}", "restart_timeout 1 2"]
    return "\n".join(["persistence_location {tmp}/"] + kept) + "\n"


def seqs(watch, after=0):
    """The seq of every event WATCH recorded, in arrival order."""
    return [m.payload["seq"] for m in watch.messages(f"{ROOT}/events", after)]


def log(text):
    print(f"test_bridge: {text}", file=sys.stderr, flush=True)


class Bridge(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.fixtures = []
        try:
            cls.central = cls._keep(Mosquitto(extra_config=(
                "persistence true\npersistence_location {tmp}/\n")))
            cls.cwatch = cls._keep(MqttWatch(
                cls.central.port, "#", client_id="central-watch",
                clean_session=False))
            cls.local = cls._keep(Mosquitto(
                extra_config=gateway_config(cls.central.port)))
            cls.lwatch = cls._keep(MqttWatch(
                cls.local.port, "#", client_id="local-watch",
                clean_session=False))
            cls.sim = cls._keep(Sim({1: "xy-md02", 2: "xy-md02"},
                                    sets={"1.temperature": 23.0,
                                          "2.temperature": 23.0}))
            cls.agent = cls._keep(Agent(room_config(
                cls.local.port, cls.sim.port, devices=DEVICES, rules=RULES,
                site=SITE, name=NAME)))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _keep(cls, fixture):
        cls.fixtures.append(fixture)
        return fixture

    @classmethod
    def tearDownClass(cls):
        for f in reversed(cls.fixtures):
            f.close()

    # ---- helpers -----------------------------------------------------------

    _turn = 0

    @classmethod
    def trigger(cls):
        """The next of TRIGGERS."""
        cls._turn += 1
        return TRIGGERS[(cls._turn - 1) % len(TRIGGERS)]

    def fire_and_resolve(self, cycles):
        """Makes a rule fire and clear again, CYCLES times, each transition
        seen on the local broker; returns the seqs of the events made."""
        mark = self.lwatch.mark()
        for _ in range(cycles):
            rule, unit, point, hot, cold = self.trigger()
            at = self.lwatch.mark()
            self.sim.set(unit, point, hot)
            self.lwatch.wait_for(f"{ROOT}/events", event(rule, "firing"),
                                 after=at)
            self.sim.set(unit, point, cold)
            self.lwatch.wait_for(f"{ROOT}/events", event(rule, "ok"),
                                 after=at)
        return seqs(self.lwatch, mark)

    def bridge_state(self, watch, after=0):
        """The last value WATCH saw on the bridge's state topic."""
        msgs = watch.messages(BRIDGE_STATE, after)
        return msgs[-1].payload if msgs else None

    def assert_central_has_every_local_event(self, timeout=40.0):
        """Waits until every event seq seen locally has arrived centrally,
        then checks the order, the duplicates and the bridge's state."""
        local = list(dict.fromkeys(seqs(self.lwatch)))
        self.assertEqual(local, list(range(1, len(local) + 1)),
                         f"the local broker saw every event: {local}")
        started = time.monotonic()
        wait_until(lambda: set(local) <= set(seqs(self.cwatch)), timeout,
                   message=f"central to have seqs {local}, it has "
                           f"{sorted(set(seqs(self.cwatch)))}")
        caught_up = time.monotonic() - started
        central = seqs(self.cwatch)
        firsts = list(dict.fromkeys(central))
        self.assertEqual(firsts, sorted(firsts),
                         f"central got the events in seq order: {central}")
        # events made since the snapshot (the agent's own health checks, say)
        # may be central already: each of them is a local one too
        wait_until(lambda: set(central) <= set(seqs(self.lwatch)), 10,
                   message=f"every central seq to be local too: central {central}")
        sent = {m.payload["seq"]: m.raw
                for m in self.lwatch.messages(f"{ROOT}/events")}
        for m in self.cwatch.messages(f"{ROOT}/events"):
            self.assertEqual(m.raw, sent[m.payload["seq"]],
                             "a duplicate is an exact copy")
        # What a dashboard subscribing now is told about the link.
        time.sleep(1)
        with MqttWatch(self.central.port, BRIDGE_STATE) as fresh:
            link = fresh.wait_for(BRIDGE_STATE)
        self.assertEqual((link.payload, link.retained), (1, True),
                         "the bridge state reads 1 again centrally")
        return caught_up, len(central) - len(local)

    # ---- tests -------------------------------------------------------------

    def test_1_topics_payloads_and_retained_states_arrive_unchanged(self):
        rule, unit, point, hot, cold = self.trigger()
        for watch in (self.lwatch, self.cwatch):
            watch.wait_for(f"{ROOT}/status", state_is("online"))
            watch.wait_for(f"{ROOT}/alert/{rule}", state_is("ok"))
            watch.wait_for(BRIDGE_STATE, lambda p: p == 1)
        mark_l, mark_c = self.lwatch.mark(), self.cwatch.mark()
        self.sim.set(unit, point, hot)
        sent = self.lwatch.wait_for(f"{ROOT}/events", event(rule, "firing"),
                                    after=mark_l)
        got = self.cwatch.wait_for(f"{ROOT}/events",
                                   lambda p: p["seq"] == sent.payload["seq"],
                                   after=mark_c)
        self.assertEqual(got.raw, sent.raw)
        self.cwatch.wait_for(f"{ROOT}/alert/{rule}", state_is("firing"),
                             after=mark_c)

        # A dashboard that subscribes now gets the states as retained
        # messages from the central broker.
        with MqttWatch(self.central.port, f"{ROOT}/#") as fresh:
            alert = fresh.wait_for(f"{ROOT}/alert/{rule}")
            status = fresh.wait_for(f"{ROOT}/status")
            fresh.wait_for(f"{ROOT}/telemetry/rack-a")
        self.assertTrue(alert.retained and status.retained)
        self.assertEqual((alert.payload["state"], alert.payload["value"],
                          status.payload["state"]),
                         ("firing", hot, "online"))

        self.sim.set(unit, point, cold)
        self.cwatch.wait_for(f"{ROOT}/events", event(rule, "ok"), after=mark_c)
        topics = {m.topic for m in self.cwatch.messages()}
        self.assertEqual({t for t in topics
                          if not t.startswith(f"{ROOT}/")}, {BRIDGE_STATE},
                         "nothing but the site's topics and the bridge state")

    def test_2_events_during_an_outage_arrive_afterwards_in_order(self):
        self.assert_central_has_every_local_event()
        mark_l = self.lwatch.mark()
        cut = time.monotonic()
        self.central.stop()                          # the WAN is cut
        made = self.fire_and_resolve(3)
        self.assertGreaterEqual(len(made), 9, f"events made: {made}")
        # A panel on the site's broker sees the link down.
        self.assertEqual(self.bridge_state(self.lwatch, mark_l), 0)
        back = time.monotonic()
        self.central.start()
        caught_up, dups = self.assert_central_has_every_local_event()
        log(f"outage {back - cut:.1f} s with {len(made)} events; central "
            f"caught up {caught_up:.1f} s after it came back "
            f"({dups} duplicates)")

    def test_3_a_local_restart_during_the_outage_keeps_the_queue(self):
        self.assert_central_has_every_local_event()
        self.central.stop()
        before = self.fire_and_resolve(1)
        mark = self.lwatch.mark()
        self.local.stop()                            # saves the queue
        self.local.start()
        self.lwatch.wait_for(f"{ROOT}/status", state_is("online"), after=mark,
                             timeout=40)             # the agent is back
        after = self.fire_and_resolve(1)
        self.central.start()
        caught_up, _ = self.assert_central_has_every_local_event()
        log(f"queue kept across a local restart: events {before} + {after}, "
            f"central caught up in {caught_up:.1f} s")

    def test_4_a_dead_gateway_shows_on_the_bridge_state_only(self):
        self.assert_central_has_every_local_event()
        mark = self.cwatch.mark()
        self.local.kill()                            # the gateway dies
        self.cwatch.wait_for(BRIDGE_STATE, lambda p: p == 0, after=mark)
        # The agent's last will goes to its own broker, which is gone:
        # centrally R/status still reads online.
        with MqttWatch(self.central.port, f"{ROOT}/status") as fresh:
            status = fresh.wait_for(f"{ROOT}/status")
        self.assertEqual(status.payload["state"], "online")
        self.assertTrue(status.retained)


if __name__ == "__main__":
    unittest.main(verbosity=2)
