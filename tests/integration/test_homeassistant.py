"""test_homeassistant.py - outputs.homeassistant: Home Assistant MQTT
discovery configs, checked field by field.

A real broker, the simulator with a room (an xy-md02 sensor on unit 1, a
modbus-di8 contact module on unit 3, where the device's own point "leak"
reads input 1) and `facmon run` with `outputs = { homeassistant = {
prefix = "ha"; }; }`, started healthy. Checked:
- the retained configs: each point a sensor (device_class, unit as Home
  Assistant spells it, state_class) or, for the contacts, a binary_sensor
  (moisture for "leak"); each device's connectivity; each alert a problem;
  the gateway's status; every one with its unique_id, state topic,
  availability on R/status, and its HA device (model from the profile, via
  the gateway);
- each value_template rendered with jinja2 (Debian's python3-jinja2, as
  Home Assistant renders it) against the real payload on its state topic
  gives the value facmon published (ON/OFF for contacts and alerts), and
  None (unknown in Home Assistant) for a point the payload lacks;
- a reload that drops a point and a rule publishes an empty retained
  config for each (a new subscriber gets no config for them, and still
  gets the others);
- a restart publishes the same topics and unique_ids again.
"""

import sys
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, wait_until

try:
    import jinja2
except ImportError:
    print("SKIP: test_homeassistant renders Home Assistant's templates with "
          "python3-jinja2, which is not installed (scripts/deps installs it)")
    sys.exit(77)

ROOT = "facmon/testsite/gw1"
NODE = "facmon_testsite_gw1"
GATEWAY = "facmon:testsite:gw1"
XY_MODEL = "XY-MD02 SHT20 RS-485 temperature/humidity transmitter"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    severity = "critical"; }
"""
DEVICES = """
  { name = "rack-a"; bus = "sim"; unit = 1; profile = "xy-md02"; interval = 1; },
  { name = "floor"; bus = "sim"; unit = 3; profile = "modbus-di8"; interval = 1;
    points = ( { name = "leak"; read = "discrete"; address = 1; }{drop} ); }
"""
OUTPUTS = 'outputs = { homeassistant = { prefix = "ha"; }; };\n'
AVAILABILITY = [{"topic": f"{ROOT}/status", "value_template": "{{ value_json.state }}",
                 "payload_available": "online", "payload_not_available": "offline"}]


def config_topic(component, obj):
    return f"ha/{component}/{NODE}/{obj}/config"


def render(template, payload):
    """TEMPLATE rendered as Home Assistant does for a JSON payload."""
    return jinja2.Environment().from_string(template).render(value_json=payload)


def config(broker, sim, drop="", rules=RULES):
    devices = DEVICES.replace("{drop}", drop)
    return room_config(broker.port, sim.port, devices=devices, rules=rules,
                       extra=OUTPUTS)


class HomeAssistant(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02", 3: "modbus-di8"},
                       sets={"1.temperature": 22.5, "1.humidity": 41.0, "3.di1": 1})
        self.watch = MqttWatch(self.broker.port, "#")
        self.agent = Agent(config(self.broker, self.sim))
        for f in (self.agent, self.watch, self.sim, self.broker):
            self.addCleanup(f.close)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", lambda p: p["state"] == "ok")
        self.watch.wait_for(f"{ROOT}/telemetry/floor", lambda p: p["state"] == "up")

    def disc(self, component, obj, after=0):
        m = self.watch.wait_for(config_topic(component, obj), after=after)
        self.assertIsInstance(m.payload, dict, m.raw)
        return m.payload

    def state(self, topic):
        """The latest payload on TOPIC."""
        return self.watch.messages(topic)[-1].payload

    def check_common(self, c, name, uid, state_topic, device):
        self.assertEqual(c["name"], name)
        self.assertEqual(c["unique_id"], uid)
        self.assertEqual(c["state_topic"], state_topic)
        self.assertEqual(c["availability"], AVAILABILITY)
        self.assertEqual(c["device"]["identifiers"], [f"{GATEWAY}:{device}"])
        self.assertEqual(c["device"]["name"], device)
        self.assertEqual(c["device"]["via_device"], GATEWAY)
        self.assertEqual(c["origin"]["name"], "facmon")

    def test_points_are_sensors_with_classes_and_working_templates(self):
        want = {"temperature": ("temperature", "°C"), "humidity": ("humidity", "%"),
                "temperature_correction": ("temperature", "°C")}
        telemetry = self.state(f"{ROOT}/telemetry/rack-a")
        for point, (device_class, unit) in want.items():
            c = self.disc("sensor", f"rack-a_{point}")
            self.check_common(c, point, f"facmon.testsite.gw1.point.rack-a.{point}",
                              f"{ROOT}/telemetry/rack-a", "rack-a")
            self.assertEqual(c["device_class"], device_class, point)
            self.assertEqual(c["unit_of_measurement"], unit, point)
            self.assertEqual(c["state_class"], "measurement", point)
            self.assertEqual(c["device"]["model"], XY_MODEL)
            self.assertNotIn("manufacturer", c["device"], "the profile names none")
            self.assertEqual(render(c["value_template"], telemetry),
                             str(telemetry["points"][point]["v"]), point)
        c = self.disc("sensor", "rack-a_temperature")
        self.assertEqual(render(c["value_template"], telemetry), "22.5")
        missing = {"ts": None, "device": "rack-a", "state": "degraded", "points": {}}
        self.assertEqual(render(c["value_template"], missing), "None")
        down = {"device": "rack-a", "state": "down",
                "points": {"temperature": {"v": None, "stale": True}}}
        self.assertEqual(render(c["value_template"], down), "None")

    def test_contacts_are_binary_sensors(self):
        telemetry = self.state(f"{ROOT}/telemetry/floor")
        di1 = self.disc("binary_sensor", "floor_di1")
        self.check_common(di1, "di1", "facmon.testsite.gw1.point.floor.di1",
                          f"{ROOT}/telemetry/floor", "floor")
        self.assertNotIn("device_class", di1, "a contact of unknown meaning")
        self.assertNotIn("unit_of_measurement", di1)
        self.assertTrue(di1["device"]["model"].startswith("Generic 8-channel Modbus RTU"))
        self.assertEqual(render(di1["value_template"], telemetry), "ON")
        self.assertEqual(render(self.disc("binary_sensor", "floor_di2")["value_template"],
                                telemetry), "OFF")
        leak = self.disc("binary_sensor", "floor_leak")
        self.assertEqual(leak["device_class"], "moisture")
        self.assertEqual(render(leak["value_template"], telemetry), "OFF")
        mark = self.watch.mark()
        self.sim.set(3, "di2", 1)  # input 1: leak
        m = self.watch.wait_for(f"{ROOT}/telemetry/floor",
                                lambda p: p["points"]["leak"]["v"] == 1, after=mark)
        self.assertEqual(render(leak["value_template"], m.payload), "ON")

    def test_alerts_connectivity_and_the_gateway(self):
        alert = self.disc("binary_sensor", "alert_room-temp-high")
        self.check_common(alert, "room-temp-high",
                          "facmon.testsite.gw1.alert.room-temp-high",
                          f"{ROOT}/alert/room-temp-high", "rack-a")
        self.assertEqual(alert["device_class"], "problem")
        self.assertEqual(alert["json_attributes_topic"], f"{ROOT}/alert/room-temp-high")
        self.assertEqual(render(alert["value_template"],
                                self.state(f"{ROOT}/alert/room-temp-high")), "OFF")
        mark = self.watch.mark()
        self.sim.set(1, "temperature", 35.0)
        m = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                lambda p: p["state"] == "firing", after=mark)
        self.assertEqual(render(alert["value_template"], m.payload), "ON")
        self.assertEqual(render(alert["value_template"], {"state": "unknown"}), "None")

        comm = self.disc("binary_sensor", "alert_rack-a_comm")
        self.assertEqual(comm["unique_id"], "facmon.testsite.gw1.alert.rack-a.comm")

        conn = self.disc("binary_sensor", "floor_connectivity")
        self.check_common(conn, "communication", "facmon.testsite.gw1.comm.floor",
                          f"{ROOT}/device/floor/state", "floor")
        self.assertEqual(conn["device_class"], "connectivity")
        self.assertEqual(conn["entity_category"], "diagnostic")
        self.assertEqual(render(conn["value_template"],
                                self.state(f"{ROOT}/device/floor/state")), "ON")
        self.assertEqual(render(conn["value_template"], {"state": "down"}), "OFF")

        status = self.disc("binary_sensor", "status")
        self.assertEqual(status["unique_id"], "facmon.testsite.gw1.status")
        self.assertEqual(status["state_topic"], f"{ROOT}/status")
        self.assertNotIn("availability", status, "offline is its state")
        self.assertEqual(status["device"]["identifiers"], [GATEWAY])
        self.assertEqual(status["device"]["manufacturer"], "facmon")
        self.assertEqual(status["device"]["model"], "facmon gateway")
        self.assertNotIn("via_device", status["device"])
        online = self.state(f"{ROOT}/status")
        self.assertEqual(render(status["value_template"], online), "ON")
        self.assertEqual(render(AVAILABILITY[0]["value_template"], online), "online")
        self.assertEqual(render(status["value_template"], {"state": "offline"}), "OFF")

    def retained_configs(self):
        """{topic: payload} of the configs a new subscriber is given (the
        broker sends them all at once, after the SUBACK)."""
        watch = MqttWatch(self.broker.port, f"ha/+/{NODE}/+/config")
        try:
            watch.wait_for(config_topic("binary_sensor", "status"))
            counts = []

            def settled():
                counts.append(len(watch.messages()))
                return len(counts) > 5 and counts[-1] == counts[-6]
            wait_until(settled, timeout=10, interval=0.1, message="the retained configs")
            return {m.topic: m.payload for m in watch.messages() if m.retained}
        finally:
            watch.close()

    def test_a_reload_removes_what_it_dropped_and_a_restart_keeps_unique_ids(self):
        before = self.retained_configs()
        di8 = config_topic("binary_sensor", "floor_di8")
        alert = config_topic("binary_sensor", "alert_room-temp-high")
        self.assertIn(di8, before)
        self.assertIn(alert, before)
        mark = self.watch.mark()
        self.agent.write_config(config(self.broker, self.sim,
                                       drop=', { name = "di8"; drop = true; }', rules=""))
        self.agent.reload()
        for topic in (di8, alert):
            m = self.watch.wait_for(topic, after=mark)
            self.assertEqual(m.raw, b"", f"{topic}: an empty config")
        after = self.retained_configs()
        self.assertEqual(set(before) - set(after), {di8, alert},
                         "the broker retains no config for them, and all the others")
        self.agent.wait_log(r"homeassistant: 0 discovery configs published, 2 removed")

        mark = self.watch.mark()
        self.agent.restart()
        self.watch.wait_for(f"{ROOT}/status", lambda p: p["state"] == "online", after=mark)
        wait_until(lambda: {m.topic for m in self.watch.messages("ha/#", mark)} >= set(after),
                   timeout=10, message="every config published again")
        again = {m.topic: m.payload for m in self.watch.messages("ha/#", mark)}
        self.assertEqual(set(again), set(after))
        for topic, payload in after.items():
            self.assertEqual(again[topic]["unique_id"], payload["unique_id"], topic)
            self.assertEqual(again[topic], payload, f"{topic}: the same config")


if __name__ == "__main__":
    unittest.main(verbosity=2)
