"""test_devices_down.py - communication failures as the staff see them.

Stopping the simulator (the TCP gateway) makes its device `down` and fires
one alert for the bus, `sim.bus` (controls 実102), with the device's
`<device>.comm` unknown; the device's rules go `unknown`, never `ok`. A
device that never answered since start-up, on a bus where another device
answers, fires its own `<device>.comm`. A device that
comes back is polled again within about one interval, not after a long
back-off. A second bus whose device is dead does not slow the first: we
measure the live device's poll period next to the dead one and compare it
with its interval (loosely: a measurement, not a timing assertion).
"""

import statistics
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, event, room_config, state_is

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""


class DeviceDown(unittest.TestCase):

    def test_stopped_simulator_goes_down_and_comes_back(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(room_config(broker.port, sim.port, rules=RULES,
                                  down_after=2)) as agent:
            watch.wait_for(f"{ROOT}/device/rack-a/state", state_is("up"))
            watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("ok"))

            mark = watch.mark()
            sim.stop()
            dev = watch.wait_for(f"{ROOT}/device/rack-a/state", state_is("down"),
                                 after=mark).payload
            self.assertTrue(dev["error"], "a down device says why")
            # The gateway itself refuses connections: one alert for the bus
            # (the simulator is the TCP gateway "sim"), and the device's own
            # comm alert is unknown rather than a second alarm.
            ev = watch.wait_for(f"{ROOT}/events", event("sim.bus", "firing"),
                                after=mark).payload
            self.assertEqual((ev["controls"], ev["point"], ev["value"]),
                             (["実102"], "sim", "down"))
            watch.wait_for(f"{ROOT}/alert/rack-a.comm", state_is("unknown"), after=mark)
            self.assertFalse([m for m in watch.messages(f"{ROOT}/events", mark)
                              if event("rack-a.comm", "firing")(m.payload)])
            # a dead sensor never reads as a cool room
            rule = watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                  state_is("unknown"), after=mark).payload
            self.assertIsNone(rule["value"])
            self.assertFalse([m for m in watch.messages(f"{ROOT}/alert/room-temp-high", mark)
                              if m.payload["state"] == "ok"])
            # a dashboard reading only telemetry sees it too, retained
            with MqttWatch(broker.port, f"{ROOT}/telemetry/rack-a") as late:
                self.assert_stale(late.wait_for(f"{ROOT}/telemetry/rack-a").payload)

            # Back: the next poll (interval 1 s) finds it. Allow the
            # reconnect back-off's worst case, capped at the interval.
            mark = watch.mark()
            restarted = time.monotonic()
            sim.start()
            watch.wait_for(f"{ROOT}/events", event("sim.bus", "resolved"),
                           after=mark, timeout=10)
            back_after = time.monotonic() - restarted
            print(f"device back {back_after:.2f} s after the simulator restarted "
                  f"(interval 1 s)")
            self.assertLess(back_after, 5.0)
            watch.wait_for(f"{ROOT}/device/rack-a/state", state_is("up"), after=mark)
            watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("ok"), after=mark)
            self.assertRegex(agent.log(), r"device rack-a: down")
            live = watch.wait_for(f"{ROOT}/telemetry/rack-a", after=mark).payload
            self.assertEqual(live["state"], "up")
            self.assertIsInstance(live["points"]["temperature"]["v"], float)

    def assert_stale(self, telemetry):
        """TELEMETRY is the stale form: device down, every point of
        xy-md02 without a value, with the last one it had and when."""
        self.assertEqual(telemetry["state"], "down", telemetry)
        self.assertLessEqual({"temperature", "humidity"}, set(telemetry["points"]))
        for name, point in telemetry["points"].items():
            self.assertIsNone(point["v"], name)
            self.assertIs(point["stale"], True, name)
            self.assertIsInstance(point["last"], (int, float), name)
            self.assertEqual(point["last_ts"], telemetry["ts"], name)

    def test_device_dead_while_broker_away_is_stale_after(self):
        # The broker keeps retained messages over its restart, so without
        # a new telemetry the old live values would still be served.
        persist = "persistence true\npersistence_location {tmp}/\n"
        with Mosquitto(extra_config=persist) as broker, Sim({1: "xy-md02"}) as sim, \
                Agent(room_config(broker.port, sim.port, rules=RULES,
                                  down_after=2)) as agent:
            with MqttWatch(broker.port, f"{ROOT}/telemetry/rack-a") as watch:
                first = watch.wait_for(f"{ROOT}/telemetry/rack-a").payload
                self.assertEqual(first["state"], "up")
            broker.stop()
            sim.mute(1)
            agent.wait_log(r"device rack-a: down", timeout=15)
            broker.start()
            with MqttWatch(broker.port, f"{ROOT}/telemetry/rack-a") as watch:
                stale = watch.wait_for(f"{ROOT}/telemetry/rack-a",
                                       lambda p: p["state"] != "up", timeout=15).payload
            self.assert_stale(stale)
            self.assertEqual(set(stale["points"]), set(first["points"]))

    def test_never_heard_device_is_not_assumed_healthy(self):
        # Unit 9 is not served: the simulator never answers it.
        devices = (("rack-a", 1, "xy-md02"), ("ghost", 9, "xy-md02"))
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(room_config(broker.port, sim.port, devices=devices,
                                  down_after=2)):
            ev = watch.wait_for(f"{ROOT}/events", event("ghost.comm", "firing"),
                                timeout=15).payload
            self.assertEqual(ev["from"], "unknown")
            watch.wait_for(f"{ROOT}/device/ghost/state", state_is("down"))
            # its neighbour on the same gateway stays up
            watch.wait_for(f"{ROOT}/device/rack-a/state", state_is("up"))
            self.assertFalse([m for m in watch.messages(f"{ROOT}/alert/ghost.comm")
                              if m.payload["state"] == "ok"])


class BusIsolation(unittest.TestCase):

    def test_dead_bus_does_not_slow_another(self):
        # Bus "sim" has rack-a polled every second. Bus "dead" is a second
        # simulator whose units never answer: every request there costs the
        # full 1.5 s timeout, one after the other.
        dead_devices = "".join(
            f'  {{ name = "dead{i}"; bus = "dead"; unit = {10 + i}; '
            f'profile = "xy-md02"; interval = 1; }},\n' for i in range(3))
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                Sim({1: "xy-md02"}) as dead_sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            config = room_config(broker.port, sim.port, rules="")
            config = config.replace(
                "buses = (\n",
                f'buses = (\n  {{ name = "dead"; type = "modbus-tcp"; '
                f'host = "127.0.0.1"; port = {dead_sim.port}; timeout_ms = 1500; }},\n')
            config = config.replace("devices = (\n", "devices = (\n" + dead_devices)
            with Agent(config):
                watch.wait_for(f"{ROOT}/device/dead0/state", state_is("down"),
                               timeout=20)
                mark = watch.mark()
                time.sleep(8)
                times = [m.time for m in watch.messages(f"{ROOT}/telemetry/rack-a", mark)]
                periods = [b - a for a, b in zip(times, times[1:])]
                dead_polls = dead_sim.stats()
            self.assertGreaterEqual(len(periods), 4, f"rack-a polls: {times}")
            mean, worst = statistics.mean(periods), max(periods)
            print(f"rack-a poll period next to a dead bus: mean {mean:.3f} s, "
                  f"max {worst:.3f} s over {len(periods)} periods (interval 1 s); "
                  f"dead bus got {dead_polls} requests")
            # Were the buses not independent, each rack-a poll would wait
            # behind 1.5 s timeouts of the dead devices.
            self.assertLess(mean, 1.3)
            self.assertGreater(dead_polls, 0, "the dead bus was being polled")


if __name__ == "__main__":
    unittest.main(verbosity=2)
