"""test_broker_outage.py - the broker goes away and comes back; the agent dies.

Stopping and restarting mosquitto on the same port: the agent reconnects by
itself, `R/status` is `online` again, every retained device and alert state
is republished (the restarted broker has no persistence, so anything a
dashboard sees came from the agent after the reconnect), and an alert that
fired while the broker was down still arrives as an event. A `kill -9` of
the agent makes the broker publish the last will, `{"state":"offline"}`.
After a long outage the agent is back within `mqtt.reconnect_max` (5 s
unless set) of the broker's return, not after a back-off grown to 30 s.
Polling goes on through an outage that starts while connected (counted by
the simulator), and an alert held firing by flap damping says so.
"""

import re
import signal
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, state_is

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0;
    clear = 28.0; severity = "critical"; }
"""


class BrokerOutage(unittest.TestCase):

    def test_reconnects_and_republishes(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                Agent(room_config(broker.port, sim.port, rules=RULES)) as agent:
            with MqttWatch(broker.port, f"{ROOT}/#") as watch:
                watch.wait_for(f"{ROOT}/status", state_is("online"))
                watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("ok"))

            broker.stop()
            agent.wait_log(r"mqtt\[.*\]: connection lost")
            # It gets hot while the broker is away.
            sim.set(1, "temperature", 33.0)
            agent.wait_log(r"alert room-temp-high: ok -> firing")
            time.sleep(2)  # a few failed reconnect attempts
            broker.start()

            # A fresh broker holds nothing: all of this is republished.
            with MqttWatch(broker.port, f"{ROOT}/#") as watch:
                watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=40)
                watch.wait_for(f"{ROOT}/device/rack-a/state", state_is("up"))
                alert = watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                       state_is("firing")).payload
                self.assertEqual(alert["value"], 33.0)
                watch.wait_for(f"{ROOT}/telemetry/rack-a",
                               lambda p: p["points"]["temperature"]["v"] == 33.0)
            self.assertTrue(agent.process.running(), "the agent kept running")

    def test_event_during_outage_is_delivered_after_reconnect(self):
        # The subscriber has a persistent session on a broker that saves
        # its state when stopped, so whatever the agent publishes after its
        # reconnect is queued for the subscriber even if it is back later.
        with Mosquitto(extra_config="persistence true\n"
                                    "persistence_location {tmp}/\n") as broker, \
                Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/events", client_id="outage-watch",
                          clean_session=False) as watch, \
                Agent(room_config(broker.port, sim.port, rules=RULES)) as agent:
            watch.wait_for(f"{ROOT}/events",
                           lambda p: p["rule"] == "room-temp-high" and p["to"] == "ok")
            broker.stop()
            agent.wait_log(r"mqtt\[.*\]: connection lost")
            sim.set(1, "temperature", 34.0)
            agent.wait_log(r"alert room-temp-high: ok -> firing")
            broker.start()
            ev = watch.wait_for(
                f"{ROOT}/events",
                lambda p: p["rule"] == "room-temp-high" and p["to"] == "firing",
                timeout=40).payload
            self.assertEqual(ev["value"], 34.0)

    def test_issue_12_reproduction_polls_on_and_tells_the_flap(self):
        # The reported case: a connected broker goes away and the room
        # crosses the threshold every 2.5 s. Polling never stops (the
        # simulator counts every request); the alert fires 4 times, then
        # flap damping holds it firing, and the agent says so.
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                Agent(room_config(broker.port, sim.port, rules=RULES)) as agent:
            agent.wait_log(r"alert room-temp-high: unknown -> ok")
            agent.wait_log(r"mqtt\[.*\]: connected")
            broker.stop()
            agent.wait_log(r"mqtt\[.*\]: connection lost")
            requests = []
            for i in range(12):
                sim.set(1, "temperature", 33.0 if i % 2 == 0 else 22.0)
                requests.append(sim.stats(1))
                time.sleep(2.5)
            per_window = [b - a for a, b in zip(requests, requests[1:])]
            # 1 s interval, 2 requests a poll: about 5 per 2.5 s
            self.assertGreaterEqual(min(per_window), 3,
                                    f"polling stalled: {per_window}")
            log = agent.log()
            self.assertEqual(len(re.findall(r"room-temp-high: \w+ -> firing", log)),
                             4, log)
            agent.wait_log(r"WARN alert room-temp-high: flapping \(fired 4 times "
                           r"within 10 min\)")
            broker.start()
            with MqttWatch(broker.port, f"{ROOT}/alert/room-temp-high") as watch:
                held = watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                      lambda p: p["flapping"], timeout=20).payload
            self.assertEqual(held["state"], "firing")

    def test_back_soon_after_a_long_outage(self):
        # 20 s away: an uncapped doubling back-off (1, 2, 4, 8, 16 s) would
        # next try 11 s after the broker is back; capped at 5 s it is
        # trying every 5 s by then.
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                Agent(room_config(broker.port, sim.port)) as agent:
            agent.wait_log(r"mqtt\[.*\]: connected")
            broker.stop()
            agent.wait_log(r"mqtt\[.*\]: connection lost")
            time.sleep(20)
            back = time.monotonic()
            broker.start()
            with MqttWatch(broker.port, f"{ROOT}/status") as watch:
                online = watch.wait_for(f"{ROOT}/status", state_is("online"),
                                        timeout=40)
            delay = online.time - back
            print(f"agent back {delay:.1f} s after the broker")
            self.assertLess(delay, 5 + 2.5, "reconnect_max caps the back-off")

    def test_kill_9_leaves_the_last_will(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/status") as watch, \
                Agent(room_config(broker.port, sim.port)) as agent:
            watch.wait_for(f"{ROOT}/status", state_is("online"))
            mark = watch.mark()
            agent.process.signal(signal.SIGKILL)
            watch.wait_for(f"{ROOT}/status", state_is("offline"), after=mark,
                           timeout=60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
