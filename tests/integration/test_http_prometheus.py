"""test_http_prometheus.py - a real Prometheus scrapes the agent's /metrics.

Debian's prometheus (2.42), started on a free port with its storage in a
temporary directory and one scrape job for the agent of http_room.py
(scrape_interval 1s), stopped by PID. Checked through its HTTP API:
- the target is up and its last scrape has no error (Prometheus parsed
  every line of the exposition);
- facmon_point_value{point="temperature"} gives the simulator's
  temperature for each rack, equal to the telemetry on MQTT, with device,
  point and unit labels; the bus counters and the alert states are there;
- a temperature changed in the simulator is the new value in Prometheus
  once the agent has read it (the telemetry on MQTT says when), and the
  alert it raises shows as facmon_alert_firing 1.
Skipped (77) only when Debian's prometheus is not installed.
"""

import json
import os
import time
import unittest
import urllib.parse
import urllib.request

from harness import _Fixture, HOST, free_port, wait_port, wait_until
from http_room import ROOT, HttpRoom, skip

PROMETHEUS = "/usr/bin/prometheus"


class Prometheus(_Fixture):
    """prometheus scraping TARGET ("host:port") every second."""

    name = "prometheus"

    def __init__(self, target):
        super().__init__()
        self.port = free_port()
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: facmon\n    scrape_timeout: 1s\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        try:
            self.process.start([PROMETHEUS, f"--config.file={config}",
                                f"--storage.tsdb.path={os.path.join(self.tmp, 'data')}",
                                f"--web.listen-address={HOST}:{self.port}",
                                "--log.level=warn"])
            wait_port(self.port, timeout=30, process=self.process)
            wait_until(lambda: self.get("/-/ready", raw=True) == 200, timeout=30,
                       message="prometheus ready")
        except BaseException:
            self.close()
            raise

    def get(self, path, raw=False, **params):
        url = f"http://{HOST}:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status if raw else json.loads(r.read())
        except OSError:
            if raw:
                return None
            raise

    def query(self, expr):
        """{frozenset of labels: value} of an instant query."""
        doc = self.get("/api/v1/query", query=expr)
        assert doc["status"] == "success", doc
        return {frozenset(r["metric"].items()): float(r["value"][1])
                for r in doc["data"]["result"]}


class ScrapedByPrometheus(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(PROMETHEUS, os.X_OK):
            skip(f"{PROMETHEUS} is not installed (Debian's prometheus; scripts/deps "
                 "installs it)")

    def setUp(self):
        self.room = HttpRoom()
        self.addCleanup(self.room.close)
        self.prom = Prometheus(f"{HOST}:{self.room.port}")
        self.addCleanup(self.prom.close)

    def temperatures(self):
        return {dict(k)["device"]: v for k, v in
                self.prom.query('facmon_point_value{point="temperature"}').items()}

    def test_prometheus_scrapes_the_room(self):
        sent = {d: self.room.telemetry(d)["points"]["temperature"]["v"]
                for d in ("rack-a", "rack-b")}
        got = wait_until(lambda: len(self.temperatures()) == 2 and self.temperatures(),
                         timeout=20, message="both racks' temperature in Prometheus")
        self.assertEqual(got, sent)
        (labels,) = self.prom.query('facmon_point_value{device="rack-a",point="temperature"}')
        labels = dict(labels)
        self.assertEqual((labels["unit"], labels["job"]), ("degC", "facmon"))
        (target,) = self.prom.get("/api/v1/targets")["data"]["activeTargets"]
        self.assertEqual((target["health"], target["lastError"]), ("up", ""), target)
        self.assertEqual(self.prom.query("up"), {frozenset({"__name__": "up", "job": "facmon",
                         "instance": f"{HOST}:{self.room.port}"}.items()): 1.0})
        self.assertTrue(self.prom.query('facmon_bus_polls_total{bus="sim"} > 0'))
        self.assertEqual(list(self.prom.query(
            'facmon_alert_firing{alert="room-temp-high"}').values()), [0.0])

        mark = self.room.watch.mark()
        self.room.sim.set(1, "temperature", 31.4)
        hot = self.room.telemetry("rack-a", mark, lambda p: p["points"]["temperature"]["v"]
                                  != sent["rack-a"])["points"]["temperature"]["v"]
        self.assertAlmostEqual(hot, 31.4, places=6)
        start = time.monotonic()
        wait_until(lambda: self.temperatures().get("rack-a") == hot, timeout=15,
                   message=f"rack-a's temperature {hot} in Prometheus")
        print(f"the new temperature reached Prometheus {time.monotonic() - start:.1f} s "
              f"after the agent published it", flush=True)
        self.room.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                 lambda p: p["state"] == "firing", after=mark)
        wait_until(lambda: list(self.prom.query(
            'facmon_alert_firing{alert="room-temp-high"}').values()) == [1.0], timeout=15,
            message="room-temp-high firing in Prometheus")


if __name__ == "__main__":
    unittest.main(verbosity=2)
