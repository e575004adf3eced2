"""test_restart.py - a restart or a reload does not re-fire what is firing.

An alert firing before a clean stop (or a SIGHUP) stays firing: no
`firing -> unknown -> firing` pair (nor any other transition) on R/events
or in `facmon history` while the first polls after the start are still
out, even for a device that takes `down_after` polls of timeouts before it
is `down` again. Covered: a rule, a sensor fault, `<device>.comm` of a
device that never answers next to one that does, `<bus>.bus` of a gateway
that is gone, and the agent's own `facmon.disk` (state_dir on a small
tmpfs, when the tests may mount one). A device whose first poll after the
restart answers is a real change and still resolves.
"""

import json
import os
import subprocess
import tempfile
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, event, room_config, run_cli, state_is

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "rack-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""
DEVICES = (("rack-a", 1, "xy-md02"), ("ghost", 9, "xy-md02"))


def history_json(test, config_path):
    rc, out, err = run_cli("history", "-c", config_path, "--json")
    test.assertEqual(rc, 0, err)
    return json.loads(out)


def transitions(watch, rules, after):
    """(rule, from, to) of the events on R/events since AFTER about RULES."""
    return [(m.payload["rule"], m.payload["from"], m.payload["to"])
            for m in watch.messages(f"{ROOT}/events", after)
            if m.payload["rule"] in rules]


def states(watch, rule, after):
    return [m.payload["state"] for m in watch.messages(f"{ROOT}/alert/{rule}", after)]


class RestartKeepsFiring(unittest.TestCase):

    FIRING = ("rack-temp-high", "rack-a.humidity.fault", "ghost.comm")

    def settle(self, watch, mark):
        """Waits until the never-answering device is `down` again and its
        neighbour has answered a few times since (its proof that the bus
        works): every verdict the restart could change is in."""
        watch.wait_for(f"{ROOT}/device/ghost/state", state_is("down"), after=mark,
                       timeout=30)
        down = watch.mark()
        for _ in range(3):
            watch.wait_for(f"{ROOT}/telemetry/rack-a", after=watch.mark(), timeout=10)
        return down

    def assert_kept(self, watch, mark, agent, what):
        got = transitions(watch, self.FIRING, mark)
        self.assertEqual(got, [], f"transitions after the {what}; agent log:\n"
                         f"{agent.log()[-4000:]}")
        for rule in self.FIRING:
            self.assertNotIn("unknown", states(watch, rule, mark),
                             f"{rule} went unknown after the {what}")
            self.assertEqual(watch.messages(f"{ROOT}/alert/{rule}", mark)[-1]
                             .payload["state"], "firing", rule)

    def test_restart_and_reload_keep_firing_alerts(self):
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            sim.set(1, "temperature", 35)
            sim.set(1, "humidity", 150)  # outside the SHT20's 0..100 %RH: a fault
            with Agent(room_config(broker.port, sim.port, devices=DEVICES, rules=RULES,
                                   down_after=3, timeout_ms=500)) as agent:
                for rule in self.FIRING:
                    watch.wait_for(f"{ROOT}/events", event(rule, "firing"), timeout=30)
                before = len(history_json(self, agent.config_path))

                mark = watch.mark()
                agent.restart()
                agent.wait_log(r"alert ghost.comm: still firing since before the restart")
                self.settle(watch, mark)
                self.assert_kept(watch, mark, agent, "restart")

                mark = watch.mark()
                agent.reload()
                agent.wait_log(r"reloaded:")
                for _ in range(4):
                    watch.wait_for(f"{ROOT}/telemetry/rack-a", after=watch.mark(),
                                   timeout=10)
                self.assert_kept(watch, mark, agent, "reload")

                rows = history_json(self, agent.config_path)
                later = [(r["rule"], r["from"], r["to"]) for r in rows[before:]
                         if r["rule"] in self.FIRING]
                self.assertEqual(later, [], "stored after the restart and the reload")

                # a real change across a restart is kept: the room cools while
                # the agent is stopped, the first poll resolves the rule
                agent.stop()
                sim.set(1, "temperature", 22)
                mark = watch.mark()
                agent.start()
                watch.wait_for(f"{ROOT}/events", event("rack-temp-high", "resolved"),
                               after=mark, timeout=15)
                self.assertEqual([t for t in transitions(watch, ["rack-temp-high"], mark)
                                  if t[2] == "unknown"], [])

    def test_dead_gateway_keeps_its_bus_alert(self):
        # rack-a and rack-b behind gateway "sim", which is stopped; rack-c on
        # a second gateway keeps answering. Its telemetry waits for every
        # event before it to be sent, so telemetry after both are down
        # means every event of the restart has been seen.
        with Mosquitto() as broker, Sim({1: "xy-md02", 2: "xy-md02"}) as sim, \
                Sim({1: "xy-md02"}) as live, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            devices = (("rack-a", 1, "xy-md02"), ("rack-b", 2, "xy-md02"))
            config = room_config(broker.port, sim.port, devices=devices, down_after=3)
            config = config.replace("buses = (\n", (
                'buses = (\n  { name = "live"; type = "modbus-tcp"; host = "127.0.0.1"; '
                f'port = {live.port}; timeout_ms = 300; }},\n'))
            config = config.replace("devices = (\n", (
                'devices = (\n  { name = "rack-c"; bus = "live"; unit = 1; '
                'profile = "xy-md02"; interval = 1; },\n'))
            with Agent(config) as agent:
                watch.wait_for(f"{ROOT}/device/rack-b/state", state_is("up"), timeout=15)
                sim.stop()
                watch.wait_for(f"{ROOT}/events", event("sim.bus", "firing"), timeout=30)
                for dev in ("rack-a", "rack-b"):
                    watch.wait_for(f"{ROOT}/events", event(f"{dev}.comm", "unknown"))
                watched = ("sim.bus", "rack-a.comm", "rack-b.comm")
                for what in ("restart", "reload"):
                    mark = watch.mark()
                    if what == "restart":
                        agent.restart()
                    else:
                        agent.reload()
                        agent.wait_log(r"reloaded:")
                    if what == "restart":
                        for dev in ("rack-a", "rack-b"):
                            watch.wait_for(f"{ROOT}/device/{dev}/state",
                                           state_is("down"), after=mark, timeout=30)
                    for _ in range(4):
                        watch.wait_for(f"{ROOT}/telemetry/rack-c", after=watch.mark(),
                                       timeout=10)
                    self.assertEqual(transitions(watch, watched, mark), [],
                                     f"after the {what}; agent log:\n"
                                     f"{agent.log()[-4000:]}")
                    self.assertNotIn("ok", states(watch, "sim.bus", mark), what)
                    self.assertNotIn("resolved", states(watch, "sim.bus", mark), what)


class RestartKeepsSelfHealth(unittest.TestCase):

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="facmon-small-")
        rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", self.mnt],
                            capture_output=True).returncode
        if rc != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a small tmpfs here (needs root): "
                          "facmon.disk across a restart not checked")

    def tearDown(self):
        subprocess.run(["umount", self.mnt], capture_output=True)
        os.rmdir(self.mnt)

    def test_disk_alert_stays_firing(self):
        # 20 MB free is below the 50 MB floor: facmon.disk fires
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(room_config(broker.port, sim.port),
                      params={"state_dir": self.mnt}) as agent:
            watch.wait_for(f"{ROOT}/events", event("facmon.disk", "firing"), timeout=30)
            mark = watch.mark()
            agent.restart()
            agent.wait_log(r"alert facmon.disk: still firing since before the restart")
            # the checks run every 10 s: twelve polls 1 s apart are past the
            # first one after the start
            for _ in range(12):
                watch.wait_for(f"{ROOT}/telemetry/rack-a", after=watch.mark(), timeout=10)
            self.assertEqual(transitions(watch, ["facmon.disk"], mark), [],
                             agent.log()[-3000:])
            self.assertNotIn("unknown", states(watch, "facmon.disk", mark))


if __name__ == "__main__":
    unittest.main(verbosity=2)
