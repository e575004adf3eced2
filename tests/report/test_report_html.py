"""test_report_html.py - the HTML report in a real browser: headless Chromium.

The month of month.py, reported as HTML, is opened by Debian's chromium
(scripts/deps installs it) as an auditor's browser would open the file:

- a screenshot at 1240x1754 (A4 at 150 dpi) is written and kept where
  this test prints (FACMON_REPORT_OUT, else a temporary directory): look
  at it to see the report;
- `--print-to-pdf` makes a PDF that starts with %PDF and has more pages
  than the report has control sections (each section starts a page);
- at the width of an A4 page no table runs past the page: measured with a
  copy of the report with a measuring script added (the report itself has
  none), its DOM dumped by chromium.

Each chromium run gets a new empty profile directory and no network
services. Exits 77 (skipped), saying why, when chromium is not installed.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import month

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MEASURE = ('<script>document.body.setAttribute("data-overflow", String('
           'document.documentElement.scrollWidth - window.innerWidth));</script></body>')


def chromium(workdir, *args):
    """Runs chromium with a new empty profile in WORKDIR; its output."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
    proc = subprocess.run([CHROMIUM] + FLAGS + [f"--user-data-dir={profile}"] + list(args),
                          capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    return proc


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


class InChromium(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.month = month.Month()
        out = os.environ.get("FACMON_REPORT_OUT") or cls.month.dir
        os.makedirs(out, exist_ok=True)
        cls.out = out
        cls.html = os.path.join(out, "report-2026-11.html")
        rc, _, err = cls.month.report("-o", cls.html)
        if rc != 0:
            raise AssertionError(err)
        cls.sections = len(month.EXPECTED["sections"])

    @classmethod
    def tearDownClass(cls):
        cls.month.close()

    def test_screenshot(self):
        png = os.path.join(self.out, "report-2026-11.png")
        if os.path.exists(png):
            os.remove(png)
        proc = chromium(self.month.dir, f"--screenshot={png}", "--window-size=1240,1754",
                        f"file://{self.html}")
        self.assertTrue(os.path.exists(png), proc.stderr[-2000:])
        print(f"screenshot of the report: {png}")
        self.assertEqual(png_size(png), (1240, 1754))
        self.assertGreater(os.path.getsize(png), 20000)  # not a blank page

    def test_print_to_pdf(self):
        pdf = os.path.join(self.out, "report-2026-11.pdf")
        if os.path.exists(pdf):
            os.remove(pdf)
        proc = chromium(self.month.dir, f"--print-to-pdf={pdf}", f"file://{self.html}")
        self.assertTrue(os.path.exists(pdf), proc.stderr[-2000:])
        with open(pdf, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF"), data[:16])
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
        print(f"PDF of the report: {pdf}, {pages} pages for {self.sections} controls")
        self.assertGreater(pages, self.sections)

    def test_nothing_wider_than_a4(self):
        with open(self.html, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("<script", text)
        probe = os.path.join(self.month.dir, "measure.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(text.replace("</body>", MEASURE))
        # 794 x 1123 CSS px: an A4 page at 96 dpi
        proc = chromium(self.month.dir, "--window-size=794,1123", "--dump-dom",
                        f"file://{probe}")
        m = re.search(r'data-overflow="(-?\d+)"', proc.stdout)
        self.assertTrue(m, proc.stderr[-2000:])
        print(f"at A4 width the page is {m.group(1)} px wider than the window")
        self.assertLessEqual(int(m.group(1)), 0)


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: chromium is not installed (scripts/deps installs Debian's chromium "
              "package); the HTML report is not checked in a browser")
        sys.exit(77)
    unittest.main(verbosity=2)
