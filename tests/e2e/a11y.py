"""Shared pieces of the accessibility tests (family and staff screens).

axe-core (the copy bundled with axe-playwright-python, no network) runs on a
page; "serious" and "critical" violations are problems. Every window title
must name the page ("<page> – Portail Famille", RGAA 8.6). At 375 px no page
may scroll sideways.

  Audit(page, viewport)   .visit(url, label), .check(label), .assert_clean()
  open_context(browser, live_server, viewport) -> (context, page)
  submit(page, name)      clicks the button ``name`` and waits for the next page
  click(page, name)       the same for a button or a link

Environment: A11Y_IMPACTS=minor,moderate,serious,critical lists the lesser
problems too; A11Y_TITLES=1 prints each title; A11Y_SCREENSHOTS=/tmp/shots
saves a full-page screenshot of every page audited.
"""

from __future__ import annotations

import os
import re

VIEWPORTS = {"desktop": {"width": 1280, "height": 900},
             "mobile": {"width": 375, "height": 740}}
BLOCKING = ("serious", "critical")
# A11Y_IMPACTS=minor,moderate,serious,critical lists the lesser problems too.
IMPACTS = tuple(os.environ.get("A11Y_IMPACTS", ",".join(BLOCKING)).split(","))

_AXE = None


def _axe():
    global _AXE
    if _AXE is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE = Axe()
    return _AXE


def _describe(node) -> str:
    """The element's selector, with the colours when contrast is the problem."""
    text = " ".join(map(str, node["target"]))
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and "contrastRatio" in data:
            text += (f" [{data.get('fgColor')} on {data.get('bgColor')}: "
                     f"{data.get('contrastRatio')}:1]")
    return text


class Audit:
    """Runs axe (and, on a phone, the sideways-scroll check) on pages and
    collects the problems, so that one test reports every page at once."""

    def __init__(self, page, viewport: str):
        self.page = page
        self.viewport = viewport
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        # A Bootstrap panel still opening (or closing) is audited once it is done.
        page.wait_for_function("() => !document.querySelector('.collapsing')")
        self.pages.append(label)
        title = page.title()
        if os.environ.get("A11Y_TITLES"):
            print(f"TITLE {label!r}: {title!r}")
        if " – " not in title:  # RGAA 8.6: "<the page> – Portail Famille"
            self.problems.append(f"[{self.viewport}] {label} ({page.url}): the window title "
                                 f"{title!r} does not name the page")
        folder = os.environ.get("A11Y_SCREENSHOTS")  # e.g. /tmp/shots, to look at them
        if folder:
            os.makedirs(folder, exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            page.screenshot(path=os.path.join(folder, f"{self.viewport}-{name}.png"),
                            full_page=True)
        results = _axe().run(page, options={
            "runOnly": {"type": "tag",
                        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            "resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation.get("impact") not in IMPACTS:
                continue
            targets = "; ".join(_describe(node) for node in violation["nodes"][:4])
            self.problems.append(
                f"[{self.viewport}] {label} ({page.url}): {violation['id']} "
                f"({violation['impact']}) {violation['help']} -> {targets}")
        if self.viewport == "mobile":
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]")
            if widths[0] > widths[1]:
                wide = page.evaluate(
                    """() => Array.from(document.querySelectorAll('body *'))
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                        .slice(0, 5).map(e => e.tagName.toLowerCase()
                            + (e.className && typeof e.className === 'string'
                               ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))""")
                self.problems.append(
                    f"[{self.viewport}] {label} ({page.url}): the page scrolls sideways "
                    f"({widths[0]} px for {widths[1]} px): {', '.join(wide)}")

    def visit(self, url: str, label: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == status, (
            label, url, response and response.status)
        self.check(label)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def open_context(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  timezone_id="Europe/Paris", viewport=VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    return context, context.new_page()


def submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def click(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).or_(
            page.get_by_role("link", name=name)).first.click()
