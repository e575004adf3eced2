"""test_http.py - outputs.http: /metrics, /status.json and the status page,
served from the agent's live state, read-only, on the configured address
alone, and never in polling's way.

A real broker, the simulator (two XY-MD02 at the racks of "Server room 1")
and `facmon run` with room-temp-high and `outputs = { http = { listen =
"127.0.0.2:<port>"; }; }`, started healthy (http_room.py). Checked:
- /metrics, parsed line by line: every family has HELP and TYPE before its
  samples; every point of every device's telemetry on MQTT is one
  facmon_point_value sample with device, point and unit labels (a unit
  with a quote and a backslash comes back unescaped to what the telemetry
  says) whose value equals the telemetry's exactly; device up and state,
  alert firing and state, bus counters, outbox depth, last poll age,
  uptime and the last event's seq; a device that goes down leaves
  facmon_point_value (stale points are left out) and its up goes 0;
- /status.json: site, gateway, the broker connected, the outbox empty, the
  last seq that of the last event on MQTT, the health alerts, one room
  for both racks with each point's value and unit; a firing alert with
  since and the operator who acknowledged it; a down device's points null
  and stale with their last value and time;
- / is the HTML page, with a Content-Security-Policy; anything else is
  404; POST is 405 and changes nothing; HEAD has no body;
- it listens on 127.0.0.2 alone: 127.0.0.1 on the same port is refused;
- clients that connect and send nothing (more of them than the endpoint
  serves at once, and one that sent half a request) never stop polling:
  telemetry keeps coming on MQTT at the configured rate while they hang,
  and each is closed after the idle timeout;
- a reload that moves the listener listens on the new port and frees the
  old one; `enabled = false` stops it; a port another socket holds is an
  ERROR, and polling goes on.
"""

import json
import socket
import time
import unittest

from harness import HOST, free_port, mosquitto_pub, port_open, wait_until
from http_room import ROOT, HttpRoom, parse_metrics

ADDRESS = "127.0.0.2"
HTTP_IDLE_S = 10  # outputs/http.c


class Http(unittest.TestCase):

    def setUp(self):
        self.room = HttpRoom(ADDRESS)
        self.addCleanup(self.room.close)

    def metrics(self):
        status, headers, body = self.room.get("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        return parse_metrics(body.decode("utf-8"))

    def status(self):
        status, headers, body = self.room.get("/status.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        return json.loads(body)

    @staticmethod
    def samples(families, name, **match):
        return [(labels, v) for labels, v in families[name]["samples"]
                if all(labels.get(k) == want for k, want in match.items())]

    def one(self, families, name, **match):
        found = self.samples(families, name, **match)
        self.assertEqual(len(found), 1, f"{name} {match}: {found}")
        return found[0][1]

    def test_metrics_are_the_telemetry(self):
        telemetry = {d: self.room.telemetry(d) for d in ("rack-a", "rack-b")}
        m = wait_until(lambda: (lambda m: m if self.one(m, "facmon_outbox_events") == 0
                                else None)(self.metrics()), message="the outbox empty")
        for name, kind in [("facmon_point_value", "gauge"), ("facmon_device_up", "gauge"),
                           ("facmon_bus_polls_total", "counter"),
                           ("facmon_alert_firing", "gauge"), ("facmon_alert_state", "gauge"),
                           ("facmon_outbox_events", "gauge")]:
            self.assertEqual(m[name]["type"], kind, name)
            self.assertTrue(m[name]["help"], name)
        exported = {(l["device"], l["point"]): (l, v) for l, v in
                    m["facmon_point_value"]["samples"]}
        want = {(d, p) for d, t in telemetry.items() for p in t["points"]}
        self.assertEqual(set(exported), want, "every point of the room, nothing else")
        for (dev, point), (labels, value) in exported.items():
            sent = telemetry[dev]["points"][point]
            self.assertEqual(value, sent["v"], f"{dev}.{point}: /metrics {value!r}, "
                             f"MQTT {sent['v']!r}")
            self.assertEqual(labels["unit"], sent.get("unit", ""), f"{dev}.{point}")
            self.assertEqual(set(labels), {"device", "point", "unit"})
        self.assertEqual(exported[("rack-a", "pressure")][0]["unit"], 'in"H2O\\x')

        for dev in ("rack-a", "rack-b"):
            self.assertEqual(self.one(m, "facmon_device_up", device=dev), 1)
            self.assertEqual(self.one(m, "facmon_device_state", device=dev, state="up"), 1)
            self.assertEqual(self.one(m, "facmon_device_state", device=dev, state="down"), 0)
            self.assertLess(self.one(m, "facmon_device_last_poll_age_seconds", device=dev), 3)
        self.assertEqual(self.one(m, "facmon_alert_firing", alert="room-temp-high",
                                  severity="critical"), 0)
        self.assertEqual(self.one(m, "facmon_alert_state", alert="room-temp-high",
                                  state="ok"), 1)
        self.assertGreaterEqual(self.one(m, "facmon_bus_polls_total", bus="sim"), 2)
        self.assertEqual(self.one(m, "facmon_bus_polls_failed_total", bus="sim"), 0)
        self.assertEqual(self.one(m, "facmon_bus_up", bus="sim"), 1)
        self.assertEqual(self.one(m, "facmon_outbox_events"), 0)
        self.assertEqual(self.one(m, "facmon_broker_connected"), 1)
        self.assertGreater(self.one(m, "facmon_uptime_seconds"), 0)
        last_event = self.room.watch.messages(f"{ROOT}/events")[-1].payload["seq"]
        self.assertEqual(self.one(m, "facmon_last_event_seq"), last_event)

    def test_a_device_down_leaves_its_points_out(self):
        self.room.sim.mute(2)
        self.room.watch.wait_for(f"{ROOT}/device/rack-b/state",
                                 lambda p: p["state"] == "down")
        m = self.metrics()
        self.assertEqual(self.samples(m, "facmon_point_value", device="rack-b"), [],
                         "a device that is down has no current value")
        self.assertEqual(len(self.samples(m, "facmon_point_value", device="rack-a")), 5)
        self.assertEqual(self.one(m, "facmon_device_up", device="rack-b"), 0)
        self.assertEqual(self.one(m, "facmon_device_state", device="rack-b", state="down"), 1)
        self.assertGreater(self.one(m, "facmon_bus_polls_failed_total", bus="sim"), 0)

        rack_b = self.status()["rooms"][0]["devices"][1]
        self.assertEqual((rack_b["name"], rack_b["state"]), ("rack-b", "down"))
        self.assertIsNotNone(rack_b["last_seen"])
        for p in rack_b["points"]:
            self.assertIsNone(p["v"], p)
            self.assertTrue(p["stale"], p)
        temp = [p for p in rack_b["points"] if p["name"] == "temperature"][0]
        self.assertEqual(temp["last"], 23.1)
        self.assertEqual(temp["last_ts"], rack_b["last_seen"])

    def test_status_json(self):
        telemetry = {d: self.room.telemetry(d) for d in ("rack-a", "rack-b")}
        # the store learns of the broker's acknowledgements once a second
        s = wait_until(lambda: (lambda s: s if s["agent"]["outbox"] == 0 else None)(
            self.status()), message="the outbox empty")
        self.assertEqual((s["site"], s["gateway"]), ("testsite", "gw1"))
        agent = s["agent"]
        self.assertTrue(agent["broker"]["connected"])
        self.assertEqual(agent["outbox"], 0)
        self.assertEqual(agent["last_seq"],
                         self.room.watch.messages(f"{ROOT}/events")[-1].payload["seq"])
        self.assertEqual({h["alert"] for h in agent["health"]},
                         {"facmon.clock", "facmon.outbox", "facmon.disk",
                          "facmon.collectors"})
        self.assertEqual([r["location"] for r in s["rooms"]], ["Server room 1"])
        devices = s["rooms"][0]["devices"]
        self.assertEqual([d["name"] for d in devices], ["rack-a", "rack-b"])
        for d in devices:
            self.assertEqual(d["state"], "up")
            points = {p["name"]: p for p in d["points"]}
            self.assertEqual(set(points), set(telemetry[d["name"]]["points"]))
            for name, sent in telemetry[d["name"]]["points"].items():
                self.assertEqual(points[name]["v"], sent["v"], name)
                self.assertEqual(points[name]["unit"], sent.get("unit"), name)
                self.assertFalse(points[name]["stale"], name)
        self.assertEqual(s["alerts"], [])

        mark = self.room.watch.mark()
        self.room.sim.set(1, "temperature", 35.0)
        fired = self.room.watch.wait_for(f"{ROOT}/events", lambda p: p["rule"] ==
                                         "room-temp-high" and p["to"] == "firing",
                                         after=mark).payload
        mosquitto_pub(self.room.broker.port, f"{ROOT}/cmd/ack",
                      json.dumps({"rule": "room-temp-high", "by": "alice",
                                  "comment": "on it"}))
        self.room.watch.wait_for(f"{ROOT}/events", lambda p: p["type"] == "ack", after=mark)
        s = self.status()
        (alert,) = s["alerts"]
        self.assertEqual((alert["alert"], alert["severity"], alert["state"]),
                         ("room-temp-high", "critical", "firing"))
        self.assertEqual(alert["since"], fired["ts"])
        self.assertEqual((alert["device"], alert["point"], alert["value"]),
                         ("rack-a", "temperature", 35))
        self.assertTrue(alert["acked"])
        self.assertEqual((alert["ack"]["by"], alert["ack"]["comment"]), ("alice", "on it"))
        temp = [p for p in s["rooms"][0]["devices"][0]["points"]
                if p["name"] == "temperature"][0]
        self.assertTrue(temp["alerting"])

    def test_page_404_and_read_only(self):
        status, headers, body = self.room.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", headers["content-security-policy"])
        self.assertTrue(body.startswith(b"<!DOCTYPE html>"))
        self.assertIn(b'fetch("status.json"', body)
        self.assertNotIn(b"http://", body.split(b"-->", 1)[1], "no external assets")
        for path in ("/nope", "/metrics/", "/status", "/index.html", "/../etc/passwd"):
            self.assertEqual(self.room.get(path)[0], 404, path)
        before = self.metrics()
        for path in ("/metrics", "/status.json", "/"):
            for method in ("POST", "PUT", "DELETE"):
                status, headers, _ = self.room.get(path, method)
                self.assertEqual(status, 405, f"{method} {path}")
                self.assertEqual(headers["allow"], "GET, HEAD")
        status, headers, body = self.room.get("/metrics", "HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(self.one(self.metrics(), "facmon_last_event_seq"),
                         self.one(before, "facmon_last_event_seq"), "nothing happened")

    def test_bound_to_the_configured_address_only(self):
        self.assertTrue(port_open(self.room.port, ADDRESS))
        self.assertFalse(port_open(self.room.port, HOST), f"{HOST}:{self.room.port} answers")
        self.room.agent.wait_log(rf"INFO http: listening on http://{ADDRESS}:{self.room.port}/")

    def test_clients_that_hang_never_stop_polling(self):
        hanging = [socket.create_connection((ADDRESS, self.room.port)) for _ in range(40)]
        hanging[0].sendall(b"GET /metr")
        self.addCleanup(lambda: [s.close() for s in hanging])
        start = time.monotonic()
        mark = self.room.watch.mark()
        time.sleep(4)
        polls = len(self.room.watch.messages(f"{ROOT}/telemetry/rack-a", mark))
        self.assertGreaterEqual(polls, 3, "rack-a polled every second while clients hang")
        # each is closed once idle for HTTP_IDLE_S, and the endpoint serves again:
        # the 8 beyond HTTP_CONNECTIONS in the backlog, and a new request
        for s in hanging[:32]:  # the others wait in the listen backlog
            s.settimeout(max(0.1, start + HTTP_IDLE_S + 5 - time.monotonic()))
            self.assertEqual(s.recv(100), b"", "closed by the endpoint")
        self.assertGreater(time.monotonic() - start, HTTP_IDLE_S - 1, "not before the timeout")
        self.assertEqual(self.room.get("/metrics")[0], 200)
        polls = len(self.room.watch.messages(f"{ROOT}/telemetry/rack-a", mark))
        self.assertGreaterEqual(polls, HTTP_IDLE_S - 1, "polled every second throughout")

    def test_reload_moves_or_stops_it(self):
        old, new = self.room.port, free_port()
        self.room.port = new
        self.room.agent.write_config(self.room.agent.config().replace(
            f"{ADDRESS}:{old}", f"{ADDRESS}:{new}"))
        self.room.agent.reload()
        self.room.agent.wait_log(rf"http: listening on http://{ADDRESS}:{new}/")
        wait_until(lambda: not port_open(old, ADDRESS), message="the old port closed")
        self.assertEqual(self.room.get("/metrics")[0], 200)
        self.room.agent.write_config(self.room.agent.config().replace(
            "http = {", "http = { enabled = false;"))
        self.room.agent.reload()
        self.room.agent.wait_log(r"INFO http: stopped \(no longer in the config\)")
        self.assertFalse(port_open(new, ADDRESS))

    def test_an_address_in_use_is_an_error_and_the_agent_goes_on(self):
        taken = socket.socket()
        taken.bind((ADDRESS, 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        self.room.agent.write_config(self.room.agent.config().replace(
            f"{ADDRESS}:{self.room.port}", f"{ADDRESS}:{port}"))
        mark = self.room.watch.mark()
        self.room.agent.reload()
        self.room.agent.wait_log(rf"ERROR http: cannot listen on {ADDRESS}:{port}: Address "
                                 r"already in use; not listening until the next reload")
        self.room.telemetry("rack-a", after=mark)
        self.assertFalse(port_open(self.room.port, ADDRESS), "the old port let go")


if __name__ == "__main__":
    unittest.main(verbosity=2)
