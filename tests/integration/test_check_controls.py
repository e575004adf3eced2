"""test_check_controls.py - control IDs checked against facmon's catalog.

A rule's `controls` are checked against the catalog config/controls.c
ships (FISC 統/実/設/監 items, ISO/IEC 27001:2022 Annex A). With the real
facmon binary:

- `facmon check` on a config with '設8O' (a letter O) prints a warning at
  the rule's file and line, with the did-you-mean, prints its OK line and
  exits 0; with agent.strict_controls = true the same is an error, exit 1;
- `facmon run` with that warning starts, logs it, connects to a real
  mosquitto and publishes the alert with the ID as written; a SIGHUP
  reload logs it again and applies the config (a new rule appears);
- `facmon run` with strict_controls refuses to start (exit 1), and a
  reload into a strict config is refused while the agent keeps running on
  the config it had;
- an ID with a space is an error whether strict or not.
The messages themselves, row by row, are tests/unit/test_config_bad.c's.
"""

import os
import re
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, room_config, run_cli,
                     state_is)

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical";
    controls = ["設8O", "8.16"]; }
"""
EXTRA_RULE = """,
  { name = "too-humid"; point = "rack-a.humidity"; above = 90.0;
    controls = ["設46"]; }
"""
WARNING = ("rules[0] (room-temp-high).controls[0]: '設8O' is not a control ID "
           "facmon knows (FISC 設1..設138); did you mean '設80'?")


def strict(config):
    """CONFIG (room_config's text) with agent.strict_controls = true."""
    return config.replace('log_level = "debug";',
                          'log_level = "debug";\n  strict_controls = true;', 1)


def rule_line(path):
    """The line of the config file at PATH where the bad ID is written."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if "設8O" in line:
                return n
    raise AssertionError(f"no '設8O' in {path}")


class Check(unittest.TestCase):
    """`facmon check`: no broker or device needed."""

    def agent(self, config):
        a = Agent(config, start=False)
        self.addCleanup(a.close)
        return a

    def test_unknown_id_is_a_warning(self):
        a = self.agent(room_config(1883, 1502, rules=RULES))
        rc, out, err = run_cli("check", "-c", a.config_path)
        self.assertEqual(rc, 0, err)
        where = f"{a.config_path}:{rule_line(a.config_path)}: "
        self.assertEqual(err.splitlines(), [f"{where}warning: {WARNING}"])
        self.assertRegex(out, re.escape(a.config_path) + r": OK: site testsite, "
                         r"gateway gw1: 1 bus, 1 device, \d+ points, 1 rule\n")

    def test_strict_controls_makes_it_an_error(self):
        a = self.agent(strict(room_config(1883, 1502, rules=RULES)))
        rc, out, err = run_cli("check", "-c", a.config_path)
        self.assertEqual(rc, 1, err)
        where = f"{a.config_path}:{rule_line(a.config_path)}: "
        self.assertEqual(err.splitlines(), [
            f"{where}{WARNING} (agent.strict_controls)",
            f"{a.config_path}: 1 problem found"])
        self.assertEqual(out, "")

    def test_known_ids_pass_strict(self):
        a = self.agent(strict(room_config(1883, 1502, rules=RULES.replace(
            "設8O", "設80"))))
        rc, out, err = run_cli("check", "-c", a.config_path)
        self.assertEqual((rc, err), (0, ""))

    def test_a_space_is_an_error_either_way(self):
        for text in (room_config(1883, 1502, rules=RULES.replace("設8O", "設 80")),
                     strict(room_config(1883, 1502, rules=RULES.replace("設8O", "設 80")))):
            with self.subTest(strict="strict_controls" in text):
                a = self.agent(text)
                rc, out, err = run_cli("check", "-c", a.config_path)
                self.assertEqual(rc, 1, err)
                self.assertIn("rules[0] (room-temp-high).controls[0]: '設 80' has a space "
                              "in it; control IDs have none (did you mean '設80'?)", err)


class Run(unittest.TestCase):
    """`facmon run` with a real broker and the simulator."""

    def setUp(self):
        self.broker = Mosquitto()
        self.addCleanup(self.broker.close)
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 23.0})
        self.addCleanup(self.sim.close)
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.addCleanup(self.watch.close)

    def agent(self, config, start=True):
        a = Agent(config, start=start)
        self.addCleanup(a.close)
        return a

    def test_runs_with_the_warning_logged_at_start_and_reload(self):
        config = room_config(self.broker.port, self.sim.port, rules=RULES)
        agent = self.agent(config)
        told = re.escape(f"{agent.config_path}:{rule_line(agent.config_path)}: ")
        agent.wait_log(told + re.escape(f"warning: {WARNING}"))
        self.watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        self.sim.set(1, "temperature", 35.0)
        alert = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                    state_is("firing"), timeout=20).payload
        self.assertEqual(alert["controls"], ["設8O", "8.16"], "kept as written")

        mark = len(agent.log())
        agent.write_config(room_config(self.broker.port, self.sim.port,
                                       rules=RULES + EXTRA_RULE))
        agent.reload()
        agent.wait_log(r"reloaded: 1 devices, 2 rules")
        after = agent.log()[mark:]
        self.assertRegex(after, r"WARN reload: " + told + re.escape(f"warning: {WARNING}"))
        self.assertNotIn("still running the previous config", after)
        self.assertTrue(agent.running())

    def test_strict_run_refuses_to_start(self):
        agent = self.agent(strict(room_config(self.broker.port, self.sim.port,
                                              rules=RULES)), start=False)
        agent.start()
        self.assertEqual(agent.process.wait(20), 1, "facmon run exits 1")
        self.assertIn(f"{WARNING} (agent.strict_controls)", agent.log())
        self.assertEqual(self.watch.messages(f"{ROOT}/status"), [])

    def test_reload_into_strict_is_refused(self):
        good = room_config(self.broker.port, self.sim.port,
                           rules=RULES.replace("設8O", "設80"))
        agent = self.agent(good)
        self.watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        mark = len(agent.log())
        agent.write_config(strict(room_config(self.broker.port, self.sim.port,
                                              rules=RULES + EXTRA_RULE)))
        agent.reload()
        agent.wait_log(r"still running the previous config")
        after = agent.log()[mark:]
        self.assertIn(f"{WARNING} (agent.strict_controls)", after)
        self.assertNotIn("reloaded:", after)
        self.assertTrue(agent.running())
        # still polling and evaluating, on the config it had
        wmark = self.watch.mark()
        self.sim.set(1, "temperature", 35.0)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("firing"),
                            timeout=20, after=wmark)


if __name__ == "__main__":
    unittest.main(verbosity=2)
