"""test_deb.py - the Debian package scripts/package builds.

Builds the .deb the way a release is built (scripts/package: a Release
build for /usr, cpack -G DEB; about 20 s) and checks:
- control: name, version, the Depends dpkg-shlibdeps found (libmodbus5,
  libmosquitto1, libconfig9, libcjson1, libsqlite3-0, libsnmp40, libc6) and
  adduser; Recommends libcurl4 and libmicrohttpd12 (loaded only by the
  outputs that use them); the conffile; the maintainer
  scripts, executable;
- contents: /usr/bin/facmon, the systemd unit in /lib/systemd/system, every
  profile of hw/profiles in /usr/share/facmon/profiles, the example config
  as /etc/facmon/facmon.cfg, the docs (README.md and every docs/*.md in
  /usr/share/doc/facmon) and the copyright file; no simulator, no
  benchmarks;
- the man pages facmon(1) and facmon.cfg(5), gzipped in
  /usr/share/man/man1 and man5, the same text as docs/man/, rendering
  with man -l without a warning;
- the binary looks for profiles in /usr/share/facmon/profiles (extracted
  outside any root, it names that directory when it cannot find one);
- a build configured for the source tree's profiles is refused by cpack;
- install, upgrade, remove and purge with dpkg --root into a throw-away
  root (as root only: dpkg chroots into it to run the maintainer scripts).
  The root holds a shell, the libraries facmon needs and stand-ins for
  adduser, getent, install, chown and systemctl that record their
  arguments (adduser also whether the home it is given exists), so
  the scripts' decisions are checked without touching this machine's users
  or services: postinst makes the facmon system user (in dialout) and
  /var/lib/facmon and reloads systemd, without enabling or starting the
  agent; inside that root the installed `facmon check` accepts the
  installed example config with the installed profiles; an upgrade keeps
  an edited conffile and the state, and restarts a running agent; remove
  stops the agent and keeps the conffile and the state; purge deletes the
  state and the conffile and keeps the user.
What is not checked: the real adduser and systemctl (stand-ins here), the
package installed on a real system with apt (see docs/deployment.md).

Without cmake, cpack, dpkg-deb or dpkg-shlibdeps the test is skipped
(exit 77) with the missing tool named.
"""

import glob
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.abspath(os.environ.get(
    "FACMON_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("FACMON_PACKAGE_BUILD_DIR") or os.path.join(
    tempfile.gettempdir(), "facmon-package-test")
TOOLS = ("cmake", "cpack", "dpkg", "dpkg-deb", "dpkg-shlibdeps")
VERSION = None  # from the control file


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(argv, **kw)


def slurp(path):
    with open(path) as f:
        return f.read()


def check(argv, **kw):
    proc = run(argv, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {proc.returncode}\n"
                             f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def build_deb():
    out = check([os.path.join(SOURCE, "scripts", "package"), BUILD], cwd=SOURCE)
    debs = glob.glob(os.path.join(BUILD, "facmon_*.deb"))
    assert len(debs) == 1, (out, debs)
    return debs[0]


# ---- a throw-away root for dpkg --root -----------------------------------

STUB = r"""#!/bin/sh
# a stand-in that records how it was called
name=${0##*/}
echo "$name $*" >> /stub.log
case "$name" in
getent)
	case "$1 $2" in
	"passwd facmon"|"group facmon") [ -e /stub-user-facmon ]; exit $? ;;
	"group dialout") exit 0 ;;
	esac
	exit 2 ;;
adduser)
	[ "$1" = --system ] && : > /stub-user-facmon
	# the real adduser warns when --home names a directory not there yet
	[ -d /var/lib/facmon ] || echo "adduser: home /var/lib/facmon missing" >> /stub.log
	exit 0 ;;
install)
	for last; do :; done
	[ "$1" = -d ] && mkdir -p "$last"
	exit 0 ;;
esac
exit 0
"""


def copy_with_libraries(root, binary, dest=None):
    """BINARY (and the shared libraries ldd says it loads) into ROOT."""
    dest = dest or binary
    os.makedirs(os.path.dirname(root + dest), exist_ok=True)
    if os.path.abspath(binary) != os.path.abspath(root + dest):
        shutil.copy2(binary, root + dest)
    for line in check(["ldd", binary]).splitlines():
        parts = [p for p in line.split() if p.startswith("/")]
        if parts:
            lib = parts[0]
            os.makedirs(os.path.dirname(root + lib), exist_ok=True)
            if not os.path.exists(root + lib):
                shutil.copy2(lib, root + lib)


def make_root(path):
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers",
              "usr/bin", "dev", "tmp", "run/systemd/system"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    for f in ("var/lib/dpkg/status", "var/lib/dpkg/available"):
        open(os.path.join(path, f), "w").close()
    copy_with_libraries(path, "/bin/dash", "/bin/sh")
    for tool in ("/bin/rm", "/bin/mkdir"):
        copy_with_libraries(path, tool)
    os.mknod(os.path.join(path, "dev/null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for name in ("adduser", "getent", "install", "systemctl", "chown"):
        p = os.path.join(path, "usr/bin", name)
        with open(p, "w") as f:
            f.write(STUB)
        os.chmod(p, 0o755)


class Deb(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.deb = build_deb()
        cls.tmp = tempfile.mkdtemp(prefix="facmon-deb-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return check(["dpkg-deb", "-f", self.deb, name]).strip()

    def test_control(self):
        self.assertEqual(self.field("Package"), "facmon")
        self.assertRegex(self.field("Version"), r"^\d+\.\d+\.\d+")
        self.assertEqual(self.field("Architecture"),
                         check(["dpkg", "--print-architecture"]).strip())
        depends = [d.strip().split()[0] for d in self.field("Depends").split(",")]
        for pkg in ("adduser", "libc6", "libmodbus5", "libmosquitto1", "libconfig9",
                    "libcjson1", "libsqlite3-0", "libsnmp40"):
            self.assertIn(pkg, depends)
        # loaded only when their outputs start: recommended, not required
        recommends = [d.strip().split()[0] for d in self.field("Recommends").split(",")]
        self.assertEqual(sorted(recommends), ["libcurl4", "libmicrohttpd12"])
        self.assertFalse({"libcurl4", "libmicrohttpd12"} & set(depends), depends)
        self.assertNotIn("libcmocka0", depends)
        self.assertFalse([d for d in depends if "asan" in d or "ubsan" in d], depends)
        info = check(["dpkg-deb", "-I", self.deb])
        for script in ("postinst", "prerm", "postrm"):
            self.assertRegex(info, rf"\d+ lines\s+\*\s+{script}\s+#!/bin/sh")
        ctl = os.path.join(self.tmp, "control")
        check(["dpkg-deb", "-e", self.deb, ctl])
        with open(os.path.join(ctl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/facmon/facmon.cfg"])
        for script in ("postinst", "prerm", "postrm"):
            check(["sh", "-n", os.path.join(ctl, script)])

    def test_contents(self):
        listing = check(["dpkg-deb", "-c", self.deb])
        files = {line.split()[-1].lstrip(".") for line in listing.splitlines()
                 if line.startswith("-")}
        want = {"/usr/bin/facmon", "/lib/systemd/system/facmon.service",
                "/etc/facmon/facmon.cfg", "/usr/share/doc/facmon/deployment.md",
                "/usr/share/doc/facmon/README.md", "/usr/share/doc/facmon/copyright",
                "/usr/share/doc/facmon/reference.md",
                "/usr/share/doc/facmon/examples/opsroom.cfg",
                "/usr/share/man/man1/facmon.1.gz",
                "/usr/share/man/man5/facmon.cfg.5.gz"}
        for p in glob.glob(os.path.join(SOURCE, "docs", "*.md")):
            want.add("/usr/share/doc/facmon/" + os.path.basename(p))
        for p in glob.glob(os.path.join(SOURCE, "hw", "profiles", "*.cfg")):
            want.add("/usr/share/facmon/profiles/" + os.path.basename(p))
        for p in glob.glob(os.path.join(SOURCE, "packaging", "mosquitto", "*")):
            want.add("/usr/share/doc/facmon/examples/mosquitto/" + os.path.basename(p))
        self.assertEqual(want - files, set(), "missing from the package")
        self.assertFalse([f for f in files if "sim" in os.path.basename(f)
                          or "bench" in f or "test" in f], sorted(files))
        self.assertRegex(listing, r"-rwxr-xr-x root/root .* \./usr/bin/facmon\n")
        with open(os.path.join(SOURCE, "packaging", "systemd", "facmon.service")) as a, \
                open(os.path.join(SOURCE, "config", "examples", "opsroom.cfg")) as b:
            unit, example = a.read(), b.read()
        x = os.path.join(self.tmp, "x")
        check(["dpkg-deb", "-x", self.deb, x])
        with open(os.path.join(x, "lib/systemd/system/facmon.service")) as f:
            self.assertEqual(f.read(), unit)
        with open(os.path.join(x, "etc/facmon/facmon.cfg")) as f:
            self.assertEqual(f.read(), example)

    def test_man_pages(self):
        x = os.path.join(self.tmp, "man")
        check(["dpkg-deb", "-x", self.deb, x])
        for section, page in (("1", "facmon.1"), ("5", "facmon.cfg.5")):
            gz = os.path.join(x, "usr/share/man", "man" + section, page + ".gz")
            with self.subTest(page=page):
                with open(os.path.join(SOURCE, "docs", "man", page), "rb") as f:
                    self.assertEqual(check(["gzip", "-dc", gz], text=False), f.read())
                if shutil.which("man") is None:
                    self.skipTest("man is not installed: the page was not rendered")
                proc = run(["man", "--warnings", "-l", gz],
                           env=dict(os.environ, MANWIDTH="80"))
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "", f"man -l {page}.gz warns")
                self.assertIn("NAME", proc.stdout)

    def test_profiles_compiled_in(self):
        if os.path.isdir("/usr/share/facmon/profiles"):
            self.skipTest("facmon is installed on this machine: "
                          "/usr/share/facmon/profiles exists")
        x = os.path.join(self.tmp, "y")
        check(["dpkg-deb", "-x", self.deb, x])
        env = {k: v for k, v in os.environ.items() if k != "FACMON_PROFILE_DIR"}
        proc = run([os.path.join(x, "usr/bin/facmon"), "check", "-c",
                    os.path.join(x, "etc/facmon/facmon.cfg")], env=env)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("/usr/share/facmon/profiles", proc.stdout + proc.stderr)

    def test_dev_build_refused(self):
        b = os.path.join(self.tmp, "dev-build")
        check(["cmake", "-S", SOURCE, "-B", b, "-DFACMON_TESTS=OFF"])
        proc = run(["cpack", "-G", "DEB"], cwd=b)
        self.assertNotEqual(proc.returncode, 0)
        said = " ".join((proc.stdout + proc.stderr).split())
        self.assertIn("a package needs -DCMAKE_INSTALL_PREFIX=/usr "
                      "-DFACMON_PROFILE_DIR=/usr/share/facmon/profiles", said)
        self.assertEqual(glob.glob(os.path.join(b, "*.deb")), [])

    def dpkg(self, root, *args):
        return run(["dpkg", f"--root={root}", "--force-not-root", "--force-depends",
                    "--force-confold"] + list(args), stdin=subprocess.DEVNULL,
                   timeout=120)

    def stub_log(self, root):
        path = os.path.join(root, "stub.log")
        lines = slurp(path).splitlines() if os.path.exists(path) else []
        open(path, "w").close()
        return lines

    def upgraded_deb(self):
        """The same package as a newer version, for an upgrade."""
        raw = os.path.join(self.tmp, "raw")
        check(["dpkg-deb", "-R", self.deb, raw])
        control = os.path.join(raw, "DEBIAN", "control")
        with open(control) as f:
            text = f.read()
        version = self.field("Version")
        with open(control, "w") as f:
            f.write(text.replace(f"Version: {version}", f"Version: {version}+test1"))
        out = os.path.join(self.tmp, "facmon_upgrade.deb")
        check(["dpkg-deb", "--root-owner-group", "-b", raw, out])
        return out

    def test_install_upgrade_remove_purge(self):
        if os.geteuid() != 0:
            self.skipTest("not root: dpkg --root chroots to run the maintainer scripts")
        root = os.path.join(self.tmp, "root")
        make_root(root)
        r = lambda p: os.path.join(root, p.lstrip("/"))

        # install: the user, the state dir, systemd told; not enabled/started
        proc = self.dpkg(root, "-i", self.deb)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        log = self.stub_log(root)
        self.assertIn("adduser --system --group --home /var/lib/facmon --no-create-home "
                      "--gecos facmon monitoring agent facmon", log)
        self.assertIn("adduser --quiet facmon dialout", log)
        # the state dir first, so adduser finds the home it is given; then
        # it becomes the new user's
        self.assertNotIn("adduser: home /var/lib/facmon missing", log)
        self.assertLess(log.index("install -d -m 0750 /var/lib/facmon"),
                        log.index("adduser --system --group --home /var/lib/facmon "
                                  "--no-create-home --gecos facmon monitoring agent facmon"))
        self.assertGreater(log.index("chown facmon:facmon /var/lib/facmon"),
                           log.index("adduser --quiet facmon dialout"))
        self.assertIn("systemctl --system daemon-reload", log)
        self.assertFalse([c for c in log if "enable" in c or "start" in c], log)
        for p in ("/usr/bin/facmon", "/lib/systemd/system/facmon.service",
                  "/etc/facmon/facmon.cfg", "/usr/share/facmon/profiles/xy-md02.cfg"):
            self.assertTrue(os.path.exists(r(p)), p)
        self.assertTrue(os.path.isdir(r("/var/lib/facmon")))
        status = slurp(r("/var/lib/dpkg/status"))
        self.assertIn("Status: install ok installed", status)
        self.assertRegex(status, r"Conffiles:\n /etc/facmon/facmon.cfg [0-9a-f]{32}")

        # the installed binary, its installed profiles and example config
        copy_with_libraries(root, r("/usr/bin/facmon"), "/usr/bin/facmon")
        env = {k: v for k, v in os.environ.items() if k != "FACMON_PROFILE_DIR"}
        proc = run(["chroot", root, "/usr/bin/facmon", "check", "-c",
                    "/etc/facmon/facmon.cfg"], env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

        # upgrade: an edited conffile and the state are kept, a running
        # agent restarted, the user not made again
        with open(r("/etc/facmon/facmon.cfg"), "a") as f:
            f.write("# edited by the operator\n")
        with open(r("/var/lib/facmon/facmon.db"), "w") as f:
            f.write("history")
        proc = self.dpkg(root, "-i", self.upgraded_deb())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertNotIn("conffile", (proc.stdout + proc.stderr).lower())
        log = self.stub_log(root)
        self.assertIn("systemctl try-restart facmon.service", log)
        self.assertFalse([c for c in log if c.startswith("adduser --system")], log)
        self.assertTrue(slurp(r("/etc/facmon/facmon.cfg")).endswith(
            "# edited by the operator\n"))
        self.assertEqual(slurp(r("/var/lib/facmon/facmon.db")), "history")

        # remove: stopped; conffile and state stay
        proc = self.dpkg(root, "--remove", "facmon")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("systemctl stop facmon.service", self.stub_log(root))
        self.assertFalse(os.path.exists(r("/usr/bin/facmon")))
        self.assertFalse(os.path.exists(r("/usr/share/facmon/profiles/xy-md02.cfg")))
        self.assertTrue(os.path.exists(r("/etc/facmon/facmon.cfg")))
        self.assertTrue(os.path.exists(r("/var/lib/facmon/facmon.db")))

        # purge: state and conffile gone, the user kept
        os.makedirs(r("/etc/systemd/system/multi-user.target.wants"))
        os.symlink("/lib/systemd/system/facmon.service",
                   r("/etc/systemd/system/multi-user.target.wants/facmon.service"))
        proc = self.dpkg(root, "--purge", "facmon")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(r("/var/lib/facmon")))
        self.assertFalse(os.path.exists(r("/etc/facmon/facmon.cfg")))
        self.assertFalse(os.path.lexists(
            r("/etc/systemd/system/multi-user.target.wants/facmon.service")))
        log = self.stub_log(root)
        self.assertFalse([c for c in log if "deluser" in c or "userdel" in c], log)
        self.assertTrue(os.path.exists(r("/stub-user-facmon")))
        self.assertNotIn("Package: facmon", slurp(r("/var/lib/dpkg/status")))


if __name__ == "__main__":
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print(f"SKIPPED: {', '.join(missing)} not found (Debian packages cmake, "
              f"dpkg-dev); the .deb was not built")
        sys.exit(77)
    unittest.main(verbosity=2)
