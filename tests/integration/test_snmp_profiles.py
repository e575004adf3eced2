"""test_snmp_profiles.py - every SNMP profile read once, by the agent's own
collector, from a recording of the device it describes.

For EVERY hw/profiles/*.cfg with SNMP points (found when the test runs, so a
new profile is tested by adding it), `facmon probe snmp --profile NAME --json`
reads snmpsim serving the recording RECORDINGS names for it, and every point
must come back as a reading (an OID the device does not have, or of a type
that is not a number, fails it by name). Values and scaling of the UPS-MIB
profile are checked in test_snmp.py. An SNMP profile without a recording
fails the test: add one to tests/data/snmp.
"""

import glob
import json
import os
import re
import unittest

from harness import SnmpSim, profile_dir, run_cli, snmpget

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = profile_dir() or os.path.join(HERE, "..", "..", "hw", "profiles")
RECORDINGS = {
    "ups-mib": "ups-mains",
    "apc-powernet-ups": "apc-ups",
    "apc-netbotz": "netbotz",
    "akcp-sensorprobe": "akcp",
}


def snmp_profiles():
    names = []
    for path in sorted(glob.glob(os.path.join(PROFILES, "*.cfg"))):
        with open(path) as f:
            if re.search(r"^\s*\{[^#\n]*\boid\s*=", f.read(), re.M):
                names.append(os.path.basename(path)[:-len(".cfg")])
    return names


class SnmpProfiles(unittest.TestCase):

    def test_every_snmp_profile_has_a_recording(self):
        names = snmp_profiles()
        self.assertTrue(names, f"no SNMP profile in {PROFILES}")
        missing = [n for n in names if n not in RECORDINGS]
        self.assertFalse(missing, f"SNMP profiles without a recording: {missing}")

    def test_every_snmp_profile_reads_its_device(self):
        names = [n for n in snmp_profiles() if n in RECORDINGS]
        with SnmpSim(sorted(set(RECORDINGS[n] for n in names))) as sim:
            for name in names:
                with self.subTest(profile=name):
                    self.check_profile(sim, name, RECORDINGS[name])

    def check_profile(self, sim, name, community):
        rc, out, err = run_cli("probe", "snmp", sim.endpoint, "--community", community,
                               "--profile", name, "--profile-dir", PROFILES, "--json")
        self.assertEqual(rc, 0, f"{name}: exit {rc}\n{err}\n{out}")
        points = json.loads(out)["points"]
        self.assertTrue(points, f"{name}: no points")
        failed = [f"{point} ({got['oid']}): {got.get('error')}"
                  for point, got in points.items()
                  if got.get("error") or got.get("v") is None]
        self.assertFalse(failed, f"{name}: points not read: " + "; ".join(failed))
        # each OID answered what snmpget, an independent client, reads there
        for point, got in points.items():
            ref = snmpget(sim.port, got["oid"], community=community)
            self.assertEqual(ref.returncode, 0, f"{name}.{point}: snmpget failed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
