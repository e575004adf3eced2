"""test_exec_notifier.py - outputs.exec runs a command once per alert
transition, in seq order, and loses none when the command fails.

A real broker, the simulator and `facmon run` with `outputs = { exec = {
command = <a script>; timeout = 2; }; }`, started healthy. The script
records each run (its environment and the JSON on its stdin) and can be
told to fail (exit 3) or to hang (killed at the timeout). Checked:
- every transition event on R/events is run exactly once successfully, in
  seq order, with FACMON_SEQ/RULE/FROM/TO/SEVERITY/VALUE/CONTROLS set and
  stdin the event exactly as published (its hash too); no other type is;
- the environment holds nothing of the agent's own;
- while the command fails, the transitions queue in the store; once it
  works again every one is run, in order; the failure is logged;
- a command that hangs is killed after the timeout and retried, and
  polling goes on meanwhile (telemetry keeps coming).
"""

import json
import os
import stat
import tempfile
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, wait_until

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    severity = "critical"; controls = ["設46", "8.16"]; }
"""
SCRIPT = """#!/bin/sh
in=$(cat)
echo "$FACMON_SEQ" >> {dir}/attempts
[ -e {dir}/fail ] && {{ echo "modem busy"; exit 3; }}
[ -e {dir}/hang ] && sleep 30
env | sort > {dir}/env.$FACMON_SEQ
printf '%s\\n' "$in" > {dir}/stdin.$FACMON_SEQ
echo "$FACMON_SEQ $FACMON_RULE $FACMON_FROM $FACMON_TO $FACMON_SEVERITY $FACMON_VALUE $FACMON_CONTROLS" >> {dir}/runs
"""


class ExecNotifier(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="facmon-exec-")
        script = os.path.join(self.dir, "page")
        with open(script, "w") as f:
            f.write(SCRIPT.format(dir=self.dir))
        os.chmod(script, stat.S_IRWXU)
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 22.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        config = room_config(self.broker.port, self.sim.port, rules=RULES)
        config += f'outputs = {{ exec = {{ command = "{script}"; timeout = 2; }}; }};\n'
        self.agent = Agent(config)
        for f in (self.agent, self.watch, self.sim, self.broker):
            self.addCleanup(f.close)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", lambda p: p["state"] == "ok")
        # the first poll's transitions (unknown -> ok) are run before a test starts
        wait_until(lambda: self.transitions() and
                   [int(r[0]) for r in self.runs()] ==
                   [m.payload["seq"] for m in self.transitions()], timeout=30,
                   message="the start's transitions run")

    def runs(self):
        try:
            with open(os.path.join(self.dir, "runs")) as f:
                return [line.split(" ", 7) for line in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def attempts(self):
        try:
            with open(os.path.join(self.dir, "attempts")) as f:
                return len(f.read().split())
        except FileNotFoundError:
            return 0

    def transitions(self):
        return [m for m in self.watch.messages(f"{ROOT}/events")
                if m.payload.get("type") == "transition"]

    def flip(self, temperature, to):
        mark = self.watch.mark()
        self.sim.set(1, "temperature", temperature)
        self.watch.wait_for(f"{ROOT}/events", lambda p: p.get("rule") == "room-temp-high"
                            and p.get("to") == to, after=mark)

    def all_run(self):
        want = [m.payload["seq"] for m in self.transitions()]
        wait_until(lambda: [int(r[0]) for r in self.runs()] == want, timeout=90,
                   message=f"a run for every transition {want}, got {self.runs()}")
        return want

    def test_one_run_per_transition_in_order_with_the_event(self):
        self.flip(35.0, "firing")
        self.flip(25.0, "resolved")
        seqs = self.all_run()
        runs = {int(r[0]): r for r in self.runs()}
        firing = [m.payload for m in self.transitions() if m.payload["to"] == "firing"][0]
        self.assertEqual(runs[firing["seq"]][1:],
                         ["room-temp-high", "ok", "firing", "critical", "35", "設46,8.16"])
        for m in self.transitions():
            with open(os.path.join(self.dir, f"stdin.{m.payload['seq']}"), "rb") as f:
                self.assertEqual(f.read().rstrip(b"\n"), m.raw, "stdin is the event")
        with open(os.path.join(self.dir, f"env.{seqs[0]}")) as f:
            names = {line.split("=", 1)[0] for line in f.read().splitlines()}
        self.assertLessEqual(names - {"PWD", "SHLVL", "_"},
                             {"PATH", "FACMON_SEQ", "FACMON_TS", "FACMON_SITE",
                              "FACMON_GATEWAY", "FACMON_RULE", "FACMON_FROM", "FACMON_TO",
                              "FACMON_SEVERITY", "FACMON_POINT", "FACMON_VALUE",
                              "FACMON_CONTROLS"})
        self.assertIn("FACMON_RULE", names)

    def test_failures_queue_and_every_transition_runs_once_it_works(self):
        before = self.runs()
        open(os.path.join(self.dir, "fail"), "w").close()
        self.flip(35.0, "firing")
        self.flip(25.0, "resolved")
        self.flip(36.0, "firing")
        self.agent.wait_log(r"WARN exec: event seq=\d+ not delivered: .*page: exit status 3: "
                            r"modem busy")
        self.assertEqual(self.runs(), before, "nothing run while the command fails")
        os.unlink(os.path.join(self.dir, "fail"))
        seqs = self.all_run()
        self.assertEqual(len(seqs), len(set(seqs)), "each once")
        self.assertEqual(seqs, sorted(seqs), "in seq order")

    def test_a_hanging_command_is_killed_and_polling_goes_on(self):
        tried = self.attempts()
        open(os.path.join(self.dir, "hang"), "w").close()
        self.flip(35.0, "firing")
        mark = self.watch.mark()
        self.agent.wait_log(r"exec: event seq=\d+ not delivered: .*still running after 2 s; "
                            r"killed", timeout=15)
        # it hangs again on the retry a second later: 5 s of it in all
        wait_until(lambda: self.attempts() >= tried + 2, timeout=30,
                   message="the retries, each killed (the log tells only the first)")
        telemetry = self.watch.messages(f"{ROOT}/telemetry/rack-a", mark)
        self.assertGreaterEqual(len(telemetry), 3, "polling went on while it hung")
        os.unlink(os.path.join(self.dir, "hang"))
        self.all_run()


if __name__ == "__main__":
    unittest.main(verbosity=2)
