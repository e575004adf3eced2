"""test_alertmanager.py - outputs.alertmanager against Debian's real
prometheus-alertmanager, and its webhook receiver pointed at a sink here.

Two Alertmanagers (a "cluster" as Prometheus is given one: each gets every
alert; they are not clustered with each other), each on free ports with
clustering off and its storage in a temp dir, routing everything to a
webhook receiver: an HTTP sink in this test (http.server in a thread) that
records every notification, per Alertmanager. group_interval is 1 s,
group_wait 1 s for am1 and 4 s for am2. facmon runs with resend = 10 and
min_firing = 5. Checked:
- the room heats: each Alertmanager notifies the firing alert with
  facmon's labels and annotations, field by field, startsAt = the firing
  event's time; Alertmanager's own API (GET /api/v2/alerts) has it active
  with the same labels, endsAt 4 x resend ahead; the room cools: each
  notifies it resolved with endsAt = the resolution event's time, and its
  API no longer lists it;
- a short incident (resolved within a second, before am2's group_wait is
  up) is still notified firing, then resolved: facmon holds the resolution
  min_firing after the firing (with min_firing = 0 neither Alertmanager
  notifies anything: each drops a group that resolved before its first
  flush);
- the re-post: an Alertmanager restarted while the alert fires has lost
  it (it keeps alerts in memory); facmon's re-post (every `resend`) puts
  it back, with its original startsAt;
- Alertmanager killed mid-incident (SIGKILL by PID): the alert fires and
  resolves while it is down; the failure is logged once, not per try;
  polling goes on (telemetry keeps coming at the poll interval: the POSTs
  are on the output's own thread); started again (same storage), it
  notifies the firing and then the resolution, with their real times,
  and the one that stayed up did too;
- a slow Alertmanager (a socket that accepts and never answers) beside a
  real one costs a timeout on the output's thread, logged, and never
  delays polling or the one that answers; a reload that drops it lets the
  stuck event be done;
- the alertmanager.yml of docs/alertmanager.md passes amtool check-config.
Without prometheus-alertmanager the file exits 77 (skipped), saying why.
"""

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from datetime import datetime

from harness import (HOST, Agent, Mosquitto, MqttWatch, Sim, _Fixture, free_port,
                     room_config, wait_port, wait_until)

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                   "alertmanager.md")
ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    severity = "critical"; controls = ["設46", "8.16"]; location = "Server room 1";
    owner = "facilities"; runbook = "https://wiki.example/runbooks/room-temp"; }
"""
AM_CONFIG = """route:
  receiver: sink
  group_by: ['alertname', 'site']
  group_wait: {group_wait}s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:{sink}/{name}
        send_resolved: true
"""


def ms(text):
    """An RFC 3339 time (facmon's or Alertmanager's) in ms since the epoch."""
    text = text.replace("Z", "+00:00")
    if "." in text:  # Python's fromisoformat wants at most 6 digits
        head, rest = text.split(".", 1)
        digits = rest[:len(rest) - 6]
        text = f"{head}.{(digits + '000000')[:6]}{rest[-6:]}"
    return int(datetime.fromisoformat(text).timestamp() * 1000)


class Sink:
    """An HTTP server on a free port recording every POST: (path, JSON)."""

    def __init__(self):
        self.posts = []
        self.cond = threading.Condition()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.cond:
                    sink.posts.append((self.path.strip("/"), json.loads(body)))
                    sink.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self, am, status=None):
        """Every alert AM notified (in order), with STATUS if given."""
        with self.cond:
            return [a for path, n in self.posts if path == am for a in n["alerts"]
                    if status is None or a["status"] == status]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Alertmanager(_Fixture):
    """prometheus-alertmanager on a free port, clustering off, its storage
    (silences, notification log) in its temp dir, kept across restarts."""

    name = "alertmanager"

    def __init__(self, sink_port, label, group_wait=1):
        self.name = label
        super().__init__()
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.config = os.path.join(self.tmp, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(AM_CONFIG.format(sink=sink_port, name=label, group_wait=group_wait))
        self.start()

    def start(self):
        self.process.start([ALERTMANAGER, f"--config.file={self.config}",
                            f"--storage.path={os.path.join(self.tmp, 'data')}",
                            f"--web.listen-address={HOST}:{self.port}",
                            "--cluster.listen-address=", "--log.level=debug"])
        wait_port(self.port, 20, process=self.process)
        wait_until(lambda: self.get("/-/ready", raw=True), 20, message=f"{self.name} ready")

    def get(self, path, raw=False):
        """The JSON (with RAW: the bytes) of a 200 answer to GET PATH; None
        for anything else."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as r:
                body = r.read()
                return None if r.status != 200 else body if raw else json.loads(body)
        except (OSError, ValueError):
            return None

    def active(self, alertname="room-temp-high"):
        """The alerts its API lists as active (resolved ones are not listed)."""
        alerts = self.get("/api/v2/alerts?silenced=false&inhibited=false") or []
        return [a for a in alerts if a["labels"].get("alertname") == alertname]


def silent_listener():
    """A socket that accepts connections and never answers: a slow peer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    s.listen(16)
    return s


class RoomCase(unittest.TestCase):
    """A broker, the simulator's room and facmon posting to URLS."""

    def start_agent(self, urls, extra_keys=""):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 22.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        config = room_config(self.broker.port, self.sim.port, rules=RULES)
        url_list = ", ".join(f'"{u}"' for u in urls)
        config += (f"outputs = {{ alertmanager = {{ url = [{url_list}]; resend = 10; "
                   f"min_firing = 5; {extra_keys} }}; }};\n")
        self.agent = Agent(config)
        for f in (self.agent, self.watch, self.sim, self.broker):
            self.addCleanup(f.close)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", lambda p: p["state"] == "ok")

    def flip(self, temperature, to):
        """Sets the room's temperature; the transition event it causes."""
        mark = self.watch.mark()
        self.sim.set(1, "temperature", temperature)
        return self.watch.wait_for(f"{ROOT}/events", lambda p: p.get("rule") ==
                                   "room-temp-high" and p.get("to") == to,
                                   after=mark).payload


class AlertmanagerOutput(RoomCase):

    def setUp(self):
        self.sink = Sink()
        self.addCleanup(self.sink.close)
        self.ams = [Alertmanager(self.sink.port, "am1"),
                    Alertmanager(self.sink.port, "am2", group_wait=4)]
        for am in self.ams:
            self.addCleanup(am.close)
        self.start_agent([am.url for am in self.ams])

    def notified(self, am, status, count=1, timeout=15):
        return wait_until(lambda: len(self.sink.alerts(am, status)) >= count
                          and self.sink.alerts(am, status), timeout,
                          message=f"{count} {status} notification(s) from {am}; "
                                  f"got {self.sink.posts}")[count - 1]

    def check_labels(self, labels):
        want = {"alertname": "room-temp-high", "severity": "critical", "device": "rack-a",
                "point": "temperature", "site": "testsite", "gateway": "gw1",
                "location": "Server room 1", "owner": "facilities",
                "controls": "設46,8.16"}
        for key, value in want.items():
            self.assertEqual(labels.get(key), value, f"label {key}")
        self.assertEqual(set(labels), set(want), "no other labels")

    def test_firing_and_resolved_reach_the_receiver_with_facmons_labels(self):
        firing = self.flip(35.0, "firing")
        for am in ("am1", "am2"):
            alert = self.notified(am, "firing")
            self.check_labels(alert["labels"])
            notes = alert["annotations"]
            self.assertEqual(notes["summary"], "room-temp-high in Server room 1: "
                             "rack-a.temperature is 35 degC")
            self.assertEqual(notes["value"], "35 degC")
            self.assertEqual(notes["runbook"], "https://wiki.example/runbooks/room-temp")
            self.assertEqual(ms(alert["startsAt"]), ms(firing["ts"]), "startsAt: the event's")
        for am in self.ams:  # its own API: active, the same labels, valid ~4 x resend
            active = am.active()
            self.assertEqual(len(active), 1, am.name)
            self.check_labels(active[0]["labels"])
            self.assertEqual(active[0]["status"]["state"], "active")
            ahead = ms(active[0]["endsAt"]) - time.time() * 1000
            self.assertTrue(30_000 < ahead <= 40_000, f"endsAt {ahead} ms ahead")

        resolved = self.flip(25.0, "resolved")
        for am in ("am1", "am2"):
            alert = self.notified(am, "resolved")
            self.check_labels(alert["labels"])
            self.assertEqual(ms(alert["endsAt"]), ms(resolved["ts"]), "endsAt: the event's")
            self.assertEqual(ms(alert["startsAt"]), ms(firing["ts"]))
            self.assertIn("resolved", alert["annotations"]["summary"])
        for am in self.ams:
            wait_until(lambda: am.active() == [], 5, message=f"{am.name} lists it no more")
        self.assertEqual([a["status"] for a in self.sink.alerts("am1")], ["firing", "resolved"])

    def test_a_short_incident_is_notified_firing_then_resolved(self):
        # am2 waits 4 s (group_wait) before its first notification of a
        # group, and drops a group whose alerts all resolved by then: the
        # resolution is held until 5 s (min_firing) after the firing
        firing = self.flip(35.0, "firing")
        resolved = self.flip(25.0, "resolved")
        self.assertLess(ms(resolved["ts"]) - ms(firing["ts"]), 4000, "shorter than group_wait")
        for am in ("am1", "am2"):
            self.notified(am, "resolved")
            self.assertEqual([a["status"] for a in self.sink.alerts(am)],
                             ["firing", "resolved"], am)

    def test_the_firing_alert_is_posted_again_after_alertmanager_lost_it(self):
        firing = self.flip(35.0, "firing")
        self.notified("am1", "firing")
        am = self.ams[0]
        am.kill()
        am.start()  # alerts live in its memory: gone
        self.assertEqual(am.active(), [])
        back = wait_until(am.active, 15, message="the re-post within resend (10 s)")
        self.check_labels(back[0]["labels"])
        self.assertEqual(ms(back[0]["startsAt"]), ms(firing["ts"]), "when it fired")
        self.assertNotIn("not delivered", self.agent.log())

    def test_an_outage_of_alertmanager_loses_nothing_and_delays_nothing(self):
        am2 = self.ams[1]
        am2.kill()
        mark = self.watch.mark()
        firing = self.flip(35.0, "firing")
        self.notified("am1", "firing")  # the one that is up is told at once
        self.agent.wait_log(rf"WARN alertmanager: event seq={firing['seq']} not delivered: "
                            rf"{am2.url}: .*\(trying again in 1 s\)")
        resolved = self.flip(25.0, "resolved")
        time.sleep(3)  # the feed retries meanwhile (after 1 s, 2 s, 4 s)
        telemetry = self.watch.messages(f"{ROOT}/telemetry/rack-a", mark)
        self.assertGreaterEqual(len(telemetry), 4, "polling went on (1 s interval)")
        self.assertEqual(self.agent.log().count("not delivered"), 1, "logged once")
        self.assertEqual(self.sink.alerts("am2"), [])

        am2.start()  # same storage
        got = self.notified("am2", "firing", timeout=30)
        self.assertEqual(ms(got["startsAt"]), ms(firing["ts"]))
        got = self.notified("am2", "resolved", timeout=15)
        self.assertEqual(ms(got["endsAt"]), ms(resolved["ts"]), "its real endsAt")
        self.assertEqual([a["status"] for a in self.sink.alerts("am2")], ["firing", "resolved"])
        self.assertEqual(ms(self.notified("am1", "resolved")["endsAt"]), ms(resolved["ts"]))
        self.agent.wait_log(r"INFO alertmanager: delivering events: recovered after \d+ "
                            r"failures")
        self.assertEqual(self.agent.log().count("not delivered"), 1, "logged once")


class SlowAlertmanager(RoomCase):

    def test_a_slow_alertmanager_costs_its_timeout_and_never_delays_polling(self):
        listener = silent_listener()
        self.addCleanup(listener.close)
        slow = f"http://{HOST}:{listener.getsockname()[1]}"
        sink = Sink()
        self.addCleanup(sink.close)
        am = Alertmanager(sink.port, "am1")
        self.addCleanup(am.close)
        self.start_agent([am.url, slow], "timeout_ms = 1500;")
        mark = self.watch.mark()
        self.flip(35.0, "firing")
        wait_until(lambda: sink.alerts("am1", "firing"), 10,
                   message="the Alertmanager that answers is told at once")
        self.agent.wait_log(rf"WARN alertmanager: event seq=\d+ not delivered: {slow}: "
                            r".*[Tt]imed? ?out after 1[56]\d\d milliseconds")
        time.sleep(3)
        telemetry = self.watch.messages(f"{ROOT}/telemetry/rack-a", mark)
        self.assertGreaterEqual(len(telemetry), 4, "polling went on while it hung")
        # a reload that drops the slow one: the event is done with the rest
        self.agent.write_config(self.agent.config().replace(f', "{slow}"', ""))
        self.agent.reload()
        self.agent.wait_log(r"INFO alertmanager: delivering events: recovered after", 15)
        self.assertEqual(len(sink.alerts("am1", "firing")), 1)


class DocumentedConfig(unittest.TestCase):

    def test_the_alertmanager_yml_of_the_docs_is_valid(self):
        with open(DOC, encoding="utf-8") as f:
            yml = re.search(r"```yaml\n(.*?)```", f.read(), re.S).group(1)
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write(yml)
            f.flush()
            out = subprocess.run([AMTOOL, "check-config", f.name], capture_output=True,
                                 text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("4 receivers", out.stdout)


if __name__ == "__main__":
    if not os.access(ALERTMANAGER, os.X_OK):
        print(f"SKIP: {ALERTMANAGER} is not installed (Debian's prometheus-alertmanager; "
              "scripts/deps installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
