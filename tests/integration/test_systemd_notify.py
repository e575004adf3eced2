"""test_systemd_notify.py - the agent speaks systemd's notify protocol.

The test plays systemd: it binds an AF_UNIX datagram socket (an abstract
name, as systemd's own is) and starts a real agent with NOTIFY_SOCKET and
WATCHDOG_USEC pointing at it, next to the simulator and a broker:
- READY=1 arrives once the agent runs, with a STATUS;
- WATCHDOG=1 keeps arriving, at half of WATCHDOG_USEC;
- when a bus worker hangs (here: the simulator answers each of the 40
  requests of one poll a second late, well within the 3 s request
  timeout, so one poll takes 40 s while the hang limit is
  max(agent.collector_hang_after = 1 s, 3 x the 3 s bus period) = 9 s),
  facmon.collectors fires first and then the pings stop
  for as long as the hang lasts, with STATUS saying why; systemd would
  restart the agent WatchdogSec after the last ping;
- when the bus is quick again, the pings resume;
- SIGHUP (systemctl reload) sends RELOADING=1, then READY=1 with the new
  config's counts, or with "the last reload was rejected" when the new
  config is invalid and the old one keeps running;
- SIGTERM sends STOPPING=1 and the agent exits 0.
The message formats and the socket addresses are unit-tested in
tests/unit/test_sdnotify.c.
"""

import os
import re
import signal
import socket
import threading
import time
import unittest

from harness import Agent, Mosquitto, Sim, room_config, wait_until

WATCHDOG_USEC = 4_000_000      # WatchdogSec=4: a ping every 2 s
PING_S = WATCHDOG_USEC / 2e6
NPOINTS = 40                   # one request each (coalesce = false)


class FakeSystemd:
    """An abstract AF_UNIX datagram socket and a thread recording every
    message that arrives, with its monotonic arrival time."""

    def __init__(self):
        self.name = f"@facmon-test-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.sock.settimeout(0.2)
        self.lock = threading.Lock()
        self.messages = []     # (time, text)
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode()))

    def since(self, t0=0.0):
        with self.lock:
            return [(t, m) for t, m in self.messages if t >= t0]

    def pings(self, t0=0.0, t1=float("inf")):
        return [t for t, m in self.since(t0) if m == "WATCHDOG=1" and t < t1]

    def wait_for(self, predicate, timeout, message):
        return wait_until(lambda: [m for t, m in self.since() if predicate(m)],
                          timeout=timeout, message=message)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def config(broker, sim, rules=""):
    points = ",\n      ".join(
        f'{{ name = "r{i}"; read = "input"; address = {i + 1}; type = "int16"; }}'
        for i in range(NPOINTS))
    devices = f"""  {{ name = "rack-a"; bus = "sim"; unit = 1; interval = 1;
    coalesce = false;
    points = (
      {points}
    ); }}"""
    text = room_config(broker.port, sim.port, devices=devices, rules=rules,
                       timeout_ms=3000,
                       log_level="info")
    return text.replace('name = "gw1";', 'name = "gw1"; collector_hang_after = 1;')


RULE = '{ name = "r0-high"; point = "rack-a.r0"; above = 30.0; }'


class SystemdNotify(unittest.TestCase):

    def assert_reload(self, systemd, agent, new_config, status):
        t0 = time.monotonic()
        agent.write_config(new_config)
        agent.process.signal(signal.SIGHUP)
        wait_until(lambda: any(m.startswith("READY=1") for t, m in systemd.since(t0)),
                   timeout=15, message="READY=1 after the reload")
        said = [m for t, m in systemd.since(t0) if m != "WATCHDOG=1"]
        self.assertRegex(said[0], r"^RELOADING=1\nMONOTONIC_USEC=\d+\n"
                                  r"STATUS=reloading the config$")
        self.assertEqual(said[1], "READY=1\nSTATUS=" + status)

    def test_ready_watchdog_hang_and_stopping(self):
        systemd = FakeSystemd()
        self.addCleanup(systemd.close)
        env = dict(os.environ, NOTIFY_SOCKET=systemd.name,
                   WATCHDOG_USEC=str(WATCHDOG_USEC))
        env.pop("WATCHDOG_PID", None)
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim:
            agent = Agent(config(broker, sim), env=env)
            self.addCleanup(agent.close)

            ready = systemd.wait_for(lambda m: m.startswith("READY=1"), 20,
                                     "READY=1")[0]
            self.assertEqual(ready, "READY=1\nSTATUS=running: 1 bus, 1 device, "
                                    "0 rules")

            # fed while healthy: at half of WatchdogSec, never late
            t0 = time.monotonic()
            wait_until(lambda: len(systemd.pings(t0)) >= 4, timeout=15,
                       message="4 watchdog pings")
            pings = systemd.pings(t0)
            gaps = [b - a for a, b in zip(pings, pings[1:])]
            self.assertTrue(all(PING_S * 0.9 < g < PING_S + 1.5 for g in gaps), gaps)

            # systemctl reload: RELOADING=1, then READY=1, applied or not
            self.assert_reload(systemd, agent, config(broker, sim, RULE),
                               "running: 1 bus, 1 device, 1 rule")
            self.assert_reload(systemd, agent, config(broker, sim, RULE.replace(
                "30.0", '"thirty"')),
                "running: 1 bus, 1 device, 1 rule (the last reload was rejected)")

            # a poll that takes 40 s: the bus worker is hung by the rule
            sim.slow(1, 1000)
            agent.wait_log(r"no longer feeding the watchdog", timeout=40)
            log = agent.log()
            fired = re.search(r"alert facmon\.collectors: \w+ -> firing", log)
            self.assertIsNotNone(fired, log)
            self.assertLess(fired.start(), log.find("no longer feeding the watchdog"),
                            "the alert fires before the pings stop")
            self.assertRegex(log, r"ERROR systemd: bus sim silent for \d+ s \(limit 9 s\); "
                                  r"no longer feeding the watchdog")
            t_starved = time.monotonic()
            systemd.wait_for(lambda m: m.startswith("STATUS=hung, watchdog starving: "
                                                    "bus sim silent for"), 5,
                             "the hung status")
            time.sleep(4 * PING_S)  # WatchdogSec and more: systemd would restart it
            late = systemd.pings(t_starved + 1.5)  # a tick may be in flight
            self.assertEqual(late, [], "no WATCHDOG=1 while the bus worker hangs")

            # the bus is quick again: fed again
            sim.slow(1, 0)
            agent.wait_log(r"every bus worker is alive again", timeout=30)
            t1 = time.monotonic()
            wait_until(lambda: len(systemd.pings(t1)) >= 2, timeout=10,
                       message="pings after the hang")

            t2 = time.monotonic()
            agent.process.signal(signal.SIGTERM)
            self.assertEqual(agent.process.wait(15), 0, agent.log())
            stopping = [m for t, m in systemd.since(t2) if m.startswith("STOPPING=1")]
            self.assertEqual(stopping, ["STOPPING=1\nSTATUS=stopping"])

    def test_not_under_systemd(self):
        """Without NOTIFY_SOCKET the agent runs as before and says nothing
        about systemd."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        with Mosquitto() as broker, Sim({1: "xy-md02"}) as sim, \
                Agent(room_config(broker.port, sim.port), env=env) as agent:
            agent.wait_log(r"device rack-a: up", timeout=20)
            self.assertEqual(agent.stop(), 0)
            self.assertNotIn("systemd", agent.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
