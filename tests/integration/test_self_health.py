"""test_self_health.py - the agent's checks of itself, published as alerts.

A real agent, simulator and broker: the self-health alerts (facmon.disk,
facmon.collectors, facmon.outbox, facmon.clock) are published with their
controls; with the broker stopped for longer than agent.outbox_alert_after
while an event waits, facmon.outbox fires, and that event, queued while the
broker was away, arrives when it is back, before the outbox resolves.
(Each check's thresholds are unit-tested in tests/unit/test_self_health.c.)
"""

import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, event, room_config, state_is

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""


def config(broker, sim):
    text = room_config(broker.port, sim.port, rules=RULES)
    return text.replace('name = "gw1";', 'name = "gw1"; outbox_alert_after = 2; '
                        'disk_min_free_pct = 0;')


class SelfHealth(unittest.TestCase):

    def test_checks_are_alerts_and_the_outbox_fires_while_the_broker_is_away(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker, sim)) as agent:
            disk = watch.wait_for(f"{ROOT}/alert/facmon.disk", state_is("ok"),
                                  timeout=20).payload
            self.assertEqual((disk["controls"], disk["point"]), (["8.15"], "facmon"))
            self.assertIn("free", disk["detail"])
            watch.wait_for(f"{ROOT}/alert/facmon.collectors", state_is("ok"))
            watch.wait_for(f"{ROOT}/alert/facmon.outbox", state_is("ok"))
            clock = watch.wait_for(f"{ROOT}/alert/facmon.clock").payload
            self.assertEqual(clock["controls"], ["8.17"])

            broker.stop()
            sim.set(1, "temperature", 35.0)  # an event waits for the broker
            agent.wait_log(r"alert facmon\.outbox: \w+ -> firing", timeout=30)
            mark = watch.mark()
            broker.start()
            fired = watch.wait_for(f"{ROOT}/events", event("room-temp-high", "firing"),
                                   after=mark, timeout=30).payload
            outbox = watch.wait_for(f"{ROOT}/events", event("facmon.outbox", "firing"),
                                    after=mark).payload
            self.assertEqual(outbox["controls"], ["8.15", "実102"])
            self.assertLess(fired["seq"], outbox["seq"])
            watch.wait_for(f"{ROOT}/events", event("facmon.outbox", "resolved"),
                           after=mark, timeout=30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
