"""The FiftyOne App (1.22) driven through its web page.

Selectors (``data-cy`` attributes, roles, visible texts) are the ones that
worked in the plugin-framework probe (notes §5) and on screenshots of this
plugin's forms and panel.
"""

import re
import time
from typing import Callable, Optional

from playwright.sync_api import Page, TimeoutError as PlaywrightTimeout

# a dynamic form re-resolves after each change; an interaction made during
# that round trip can be lost
FORM_SETTLE_SECONDS = 1.5


class AppPage:
    """One browser tab on the FiftyOne App."""

    def __init__(
        self,
        page: Page,
        url: str,
        shoot: Optional[Callable[[str], None]] = None,
        server_log: Optional[Callable[[], str]] = None,
    ):
        self.page = page
        self.url = url.rstrip("/")
        self._shoot = shoot or (lambda name: None)
        self._server_log = server_log or (lambda: "")

    # dataset page ---------------------------------------------------------

    def open_dataset(self, name: str) -> None:
        page = self.page
        page.goto(
            "%s/datasets/%s" % (self.url, name),
            wait_until="domcontentloaded",
        )
        page.wait_for_selector(
            "[data-cy=fo-grid] [data-cy=looker]", timeout=90000
        )
        self.dismiss_popover()
        self._shoot("app_dataset")

    def dismiss_popover(self) -> None:
        """The "Explore Enterprise" popover blocks clicks until dismissed."""
        button = self.page.get_by_role("button", name="Dismiss").first
        try:
            button.click(timeout=5000)
        except PlaywrightTimeout:
            pass

    # operators ------------------------------------------------------------

    def open_operator(self, search: str, label: str):
        """Opens the operator browser, finds the operator by its label and
        opens its form. Returns the form's modal."""
        page = self.page
        page.click("[data-cy=action-browse-operations]")
        page.fill("[data-cy=operators-browser-search]", search)
        self._shoot("app_operator_browser")
        page.locator("[data-cy=operators-browser]").get_by_text(
            label, exact=True
        ).first.click()
        modal = page.locator("[data-cy=operators-prompt-modal]")
        modal.wait_for(timeout=30000)
        self.settle()
        return modal

    def field(self, modal, label: str):
        """The form field whose label is ``label`` (the innermost element
        holding both the label text and an input)."""
        return (
            modal.locator("div")
            .filter(has=self.page.get_by_text(label, exact=True))
            .filter(has=self.page.locator("input"))
            .last
        )

    def fill_text(self, modal, label: str, value: str) -> None:
        box = (
            self.field(modal, label)
            .locator("input:not([type=radio]):not([type=checkbox])")
            .first
        )
        box.fill(value)
        box.press("Tab")  # commits the value (the form re-resolves)
        self.settle()

    def choose_options(self, modal, label: str, options: list) -> None:
        """Picks options of a multi-value autocomplete field."""
        box = self.field(modal, label).locator("input").first
        for option in options:
            box.click()
            self.page.get_by_role("option", name=option).first.click()
            self.settle()
        self.page.keyboard.press("Tab")
        self.settle()

    def settle(self, seconds: float = FORM_SETTLE_SECONDS) -> None:
        time.sleep(seconds)

    def choose_immediate_execution(self, modal) -> None:
        """Picks "Execute" (run now, in the App server) in the execution
        split button's menu."""
        modal.locator(
            "button:has(svg[data-testid=ArrowDropDownIcon])"
        ).last.click()
        self.page.get_by_text("Run this operation synchronously").click()
        self.settle(0.5)

    def execute(self, modal, output_text: str, timeout: float = 60000):
        """Presses Execute and waits until the operator's output (a dialog
        that replaces the form) shows ``output_text``. Returns the dialog.
        """
        modal.get_by_role("button", name="Execute").first.click()
        dialog = self.page.locator("[role=dialog]").filter(
            has_text=output_text
        )
        try:
            dialog.last.wait_for(timeout=timeout)
        except PlaywrightTimeout:
            self._shoot("app_operator_no_output")
            raise AssertionError(
                "The operator showed no '%s' within %ds.\nThe App shows: "
                "%r\nThe App server's log ends with:\n%s"
                % (
                    output_text,
                    timeout / 1000,
                    _text(self.page.locator("[role=dialog]").last),
                    self._server_log(),
                )
            )
        self._shoot("app_operator_output")
        return dialog.last

    def link_href(self, modal, label: str) -> str:
        """The address of a link button of an operator's output."""
        link = modal.locator("a", has_text=label).first
        link.wait_for()
        return link.get_attribute("href")

    def close_modal(self, modal) -> None:
        modal.get_by_role(
            "button", name=re.compile("^(Close|Done)$")
        ).first.click()
        modal.wait_for(state="hidden")

    # panels ---------------------------------------------------------------

    def open_panel(self, panel_name: str, ready_text: str) -> None:
        page = self.page
        page.click("[data-cy=new-panel-btn]")
        page.click("[data-cy=new-panel-option-%s]" % panel_name)
        page.get_by_text(ready_text).first.wait_for(timeout=60000)
        self.settle()
        self._shoot("app_panel_%s" % panel_name)

    def run_row_action(self, run_key: str, action: str):
        """Clicks a row action of the panel table's row of ``run_key``
        (inline icon button or the row's "more" menu); returns the operator
        form it opens."""
        page = self.page
        row = page.locator("tr", has=page.get_by_text(run_key, exact=True))
        row = row.first
        row.wait_for()
        button = row.get_by_role("button", name=action)
        if button.count() == 0:
            button = row.get_by_label(action)
        if button.count():
            button.first.click()
        else:
            row.locator("button").last.click()  # the row's "more" menu
            page.get_by_role("menuitem", name=action).first.click()
        modal = page.locator("[data-cy=operators-prompt-modal]")
        modal.wait_for()
        self.settle()
        return modal


def _text(locator, limit: int = 600) -> str:
    try:
        return " ".join(locator.inner_text(timeout=2000).split())[:limit]
    except Exception:
        return ""
