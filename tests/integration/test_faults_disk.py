"""test_faults_disk.py - the state_dir's filesystem fills up, then has room again.

The agent's state_dir is a small tmpfs (80 MB, mounted by the test; it needs
root, or exits 77 saying why), filled to the last byte with a filler file
while the agent runs, a persistent broker connected and a durable
subscriber on R/events (as in test_faults.py, with delivery_check.py).

What is checked, and the honest expectation while the disk is full:
- polling goes on at the configured rate (5 s windows, at least 80 %), and
  every transition of the stimulus is detected (the log);
- facmon.disk fires, and resolves once the filler is gone;
- nothing stored before is lost: every earlier row is still in
  `facmon history`, unchanged;
- an event the store cannot take (SQLite: database or disk is full) is
  logged as `store: ... (sending it without the outbox)` and published at
  once: with the broker connected it is delivered, in seq order, but it is
  not in the history and not retried (with the broker away too it would be
  lost, logged as "is lost"; not what this test does). An event SQLite
  still found room for (a page free in its WAL) is stored as usual. So:
  every seq is stored or logged unstored, and the subscriber gets them all;
- once there is room again, new transitions are stored and delivered.
"""

import contextlib
import errno
import os
import subprocess
import sys
import tempfile
import time
import unittest

from delivery_check import (EVENTS, PollMeter, Room, Stimulus, check_committed,
                            say, stored_events, unstored_seqs, wait_delivered)
from harness import Agent, Mosquitto, MqttWatch, Sim, room_config

PERSIST = "persistence true\npersistence_location {tmp}/\n"
TMPFS_SIZE = "80m"  # above the disk alert's 50 MB + 10 MB to clear


def mount_tmpfs(path):
    """Mounts a TMPFS_SIZE tmpfs on PATH; the error text, or None."""
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}",
                           "tmpfs", path], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    return None if proc.returncode == 0 else (proc.stderr.strip()
                                              or f"exit {proc.returncode}")


def umount(path):
    subprocess.run(["umount", path], capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=30)


def mount_refused():
    """Why a tmpfs cannot be mounted here (not root, a container without
    CAP_SYS_ADMIN), or None."""
    probe = tempfile.mkdtemp(prefix="facmon-tmpfs-probe-")
    try:
        why = mount_tmpfs(probe)
        if why is None:
            umount(probe)
        return why
    finally:
        os.rmdir(probe)


def fill(path):
    """Writes PATH until the filesystem has no byte left; its size."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            try:
                while True:
                    written += f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    return written


class DiskFull(unittest.TestCase):

    def test_full_state_dir(self):
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        room = Room((1, 2))
        broker = stack.enter_context(Mosquitto(extra_config=PERSIST))
        watch = stack.enter_context(MqttWatch(broker.port, EVENTS,
                                              client_id="faults-disk",
                                              clean_session=False))
        sim = stack.enter_context(Sim(room.sim_units()))
        agent = stack.enter_context(Agent(room_config(
            broker.port, sim.port, devices=room.devices(), rules=room.rules(),
            timeout_ms=200, log_level="info"), start=False))
        why = mount_tmpfs(agent.state_dir)
        self.assertIsNone(why, "mount worked for the probe")
        stack.callback(umount, agent.state_dir)
        stack.callback(agent.stop)  # before the umount
        agent.start()
        stim = Stimulus(room, sim)
        before = check_committed(self, agent, stim, stim.wait_detected(self, agent))
        wait_delivered(self, watch, before)
        agent.wait_log(r"alert facmon\.disk: unknown -> ok", timeout=30)

        meter = PollMeter(sim, room.units).start()
        filler = os.path.join(agent.state_dir, "filler")
        size = fill(filler)
        agent.wait_log(r"alert facmon\.disk: ok -> firing", timeout=30)
        stim.step(self, agent, {1: 0x0003})
        stim.step(self, agent, {1: 0x0000, 2: 0x0030})
        full = stored_events(self, agent)
        self.assertEqual(full[:len(before)], before, "what was stored is kept")
        meter.stop()
        meter.check(self, "a full state_dir")

        os.unlink(filler)
        agent.wait_log(r"alert facmon\.disk: firing -> resolved", timeout=30)
        unstored = unstored_seqs(agent.log())
        stim.step(self, agent, {2: 0x0000})
        logged = stim.wait_detected(self, agent)
        rows = check_committed(self, agent, stim, logged, unstored)
        self.assertEqual(rows[:len(before)], before, "what was stored is kept")
        # the last step's transitions (panel 2, bits 4 and 5) were stored
        for bit in (4, 5):
            for t in logged[room.alert(2, bit)][-2:]:
                self.assertNotIn(t[2], unstored, "stored once there is room")
        self.assertNotIn("is lost", agent.log())
        distinct, dups = wait_delivered(self, watch, rows, unstored)
        say(f"disk full: filler {size / 1e6:.1f} MB; {len(unstored)} events "
            f"sent without the store ({sorted(unstored)}), {len(rows)} stored, "
            f"{distinct} delivered, {dups} duplicates dropped")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_faults_disk: skipped: mounting a tmpfs for the state_dir "
              "needs root", flush=True)
        sys.exit(77)
    refused = mount_refused()
    if refused:
        print(f"test_faults_disk: skipped: cannot mount a tmpfs here "
              f"({refused})", flush=True)
        sys.exit(77)
    unittest.main(verbosity=2)
