"""test_http_page.py - the live status page in a real browser.

Debian's Chromium, headless, driven by npm's playwright-core (installed
by this test into <build>/node, never committed) through http_page.js,
with an empty user-data dir; the room of http_room.py. Checked:
- the page loads and draws every point of both racks with the value the
  telemetry on MQTT gives (as the page rounds it) and its unit, under the
  room "Server room 1", and says no alert is firing; no script error;
- after the simulator heats rack-a past room-temp-high, the alert's card
  appears within one poll of the page (pollMs) of the firing event on MQTT,
  and rack-a's temperature is marked as alerting;
- rack-b muted in the simulator goes down on the page: its points greyed
  and struck through (not shown as current), with the time it was last seen;
- a screenshot of the whole page is saved (its path is printed);
- the agent stopped, the page greys out under a banner saying since when
  it has no data, once two polls have gone unanswered.
Skipped (77) only when chromium or node cannot be found, or playwright-core
cannot be installed with npm.
"""

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import facmon_bin
from http_room import ROOT, HttpRoom, skip

CHROMIUM = "/usr/bin/chromium"
PLAYWRIGHT = "playwright-core@1.64.1"
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_page.js")


def build_dir():
    return os.path.dirname(os.path.abspath(facmon_bin()))


def playwright_modules():
    """<build>/node/node_modules with playwright-core, installed with npm
    on first use."""
    prefix = os.path.join(build_dir(), "node")
    modules = os.path.join(prefix, "node_modules")
    if os.path.exists(os.path.join(modules, "playwright-core", "package.json")):
        return modules
    npm = shutil.which("npm")
    if not npm:
        skip("npm is not installed (scripts/deps installs Node.js and npm)")
    os.makedirs(prefix, exist_ok=True)
    proc = subprocess.run([npm, "install", "--prefix", prefix, "--no-audit", "--no-fund",
                           "--no-package-lock", PLAYWRIGHT], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)
    if proc.returncode != 0:
        skip(f"npm could not install {PLAYWRIGHT} into {prefix}: "
             f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    return modules


class Driver:
    """http_page.js in Node: JSON lines out, words in."""

    def __init__(self, url, screenshot, modules):
        self.profile = tempfile.mkdtemp(prefix="facmon-chromium-")
        env = dict(os.environ, NODE_PATH=modules)
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(["node", DRIVER, url, screenshot, self.profile],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env)

    def read(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not ready:
                continue
            line = self.proc.stdout.readline()
            if not line:
                break
            doc = json.loads(line)
            if doc["event"] == "error":
                raise AssertionError(f"http_page.js: {doc['message']}")
            if doc["event"] == event:
                return doc
        self.log.seek(0)
        raise AssertionError(f"no {event!r} from http_page.js in {timeout} s; its "
                             f"stderr:\n{self.log.read()[-3000:]}")

    def tell(self, word):
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class StatusPage(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(CHROMIUM, os.X_OK):
            skip(f"{CHROMIUM} is not installed (Debian's chromium; scripts/deps installs it)")
        if not shutil.which("node"):
            skip("node is not installed (scripts/deps installs Node.js)")
        cls.modules = playwright_modules()

    def setUp(self):
        self.room = HttpRoom()
        self.addCleanup(self.room.close)
        out = os.path.join(build_dir(), "test-output")
        os.makedirs(out, exist_ok=True)
        self.screenshot = os.path.join(out, "http_page.png")
        self.driver = Driver(f"http://{self.room.address}:{self.room.port}/",
                             self.screenshot, self.modules)
        self.addCleanup(self.driver.close)

    def test_the_room_an_alert_and_a_device_down_on_the_wall(self):
        telemetry = {d: self.room.telemetry(d) for d in ("rack-a", "rack-b")}
        loaded = self.driver.read("loaded")
        self.assertEqual(loaded["errors"], [])
        self.assertIn("No alert firing", loaded["alerts"])
        self.assertIn("broker connected", loaded["health"])
        shown = {(p["device"], p["point"]): p for p in loaded["points"]}
        want = {(d, p) for d, t in telemetry.items() for p in t["points"]}
        self.assertEqual(set(shown), want, "every point of the room")
        for (dev, point), p in shown.items():
            sent = telemetry[dev]["points"][point]
            self.assertAlmostEqual(float(p["value"]), sent["v"], delta=0.006,
                                   msg=f"{dev}.{point}: page {p['value']}, MQTT {sent['v']}")
            self.assertFalse(p["stale"], p)
        self.assertEqual(shown[("rack-a", "temperature")]["value"], "22.7")
        self.assertEqual(shown[("rack-a", "temperature")]["unit"], "°C")
        self.assertEqual(shown[("rack-a", "humidity")]["unit"], "%RH")

        mark = self.room.watch.mark()
        self.room.sim.set(1, "temperature", 35.0)
        self.room.watch.wait_for(f"{ROOT}/events", lambda p: p["rule"] == "room-temp-high"
                                 and p["to"] == "firing", after=mark)
        self.driver.tell("heated")
        alert = self.driver.read("alert")
        print(f"room-temp-high on the page {alert['ms']} ms after its event on MQTT "
              f"(the page polls every {loaded['pollMs']} ms)", flush=True)
        # one poll interval, plus the time its request and the drawing take
        self.assertLessEqual(alert["ms"], loaded["pollMs"] + 1500, "within one poll")
        self.assertIn("room-temp-high", alert["text"])
        self.assertIn("rack-a.temperature = 35 °C", alert["text"])
        self.assertIn("CRITICAL", alert["text"].upper())
        temp = [p for p in alert["points"] if (p["device"], p["point"]) ==
                ("rack-a", "temperature")][0]
        self.assertTrue(temp["alerting"])
        self.assertEqual(temp["value"], "35")

        self.room.sim.mute(2)
        self.room.watch.wait_for(f"{ROOT}/device/rack-b/state",
                                 lambda p: p["state"] == "down", after=mark)
        self.driver.tell("muted")
        down = self.driver.read("down")
        self.assertEqual(down["errors"], [])
        self.assertRegex(down["device"]["lastseen"], r"^last seen \d\d:\d\d:\d\d ")
        for p in down["points"]:
            if p["device"] == "rack-b":
                self.assertTrue(p["stale"], f"{p}: shown as current")
                self.assertNotEqual(p["grey"], "rgb(232, 238, 244)", "greyed")
        shot = self.driver.read("screenshot")
        with open(shot["path"], "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print(f"screenshot: {shot['path']}", flush=True)

        self.room.agent.stop()
        self.driver.tell("stopped")
        nodata = self.driver.read("nodata")
        self.assertRegex(nodata["banner"], r"^NO DATA from the agent since \d\d:\d\d:\d\d: "
                         r"what is shown is not current$")
        self.assertLess(float(nodata["opacity"]), 0.5, "everything greyed")
        self.assertLessEqual(nodata["ms"], 3.5 * loaded["pollMs"], "after two polls missed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
