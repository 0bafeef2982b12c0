"""Label Studio's own web page (1.23), driven as a person would.

Selectors were found on screenshots of Label Studio 1.23.2: the login form
(``input[name=email]``), the labeling editor's image (``img[alt=<Image tag
name>]``, drawn over by Konva canvases of the same size), the label chips
below it (``.lsf-label``), the Regions list (``.lsf-outliner-item``) and the
bottom bar's Submit button (``[data-testid=bottombar-submit-button]`` on
1.23, ``button[name=submit]`` on 1.22, ``button[aria-label=submit]`` on
1.20; data-manager rows:
``[data-testid=table-row]`` on 1.23, ``.lsf-table-row`` before).

Existing labels imported as predictions are copied into the new annotation
when a task opens, so a submitted annotation holds them plus the drawn box.
"""

import time
from dataclasses import dataclass
from typing import Callable, Optional

from playwright.sync_api import Page

IMAGE_TAG_NAME = "image"


@dataclass
class DrawnBox:
    """A rectangle drawn with the mouse, in fractions of the image."""

    label: str
    x: float
    y: float
    width: float
    height: float

    def as_bounding_box(self) -> list:
        return [self.x, self.y, self.width, self.height]


ROWS = "[data-testid=table-row], .lsf-table-row"


class LabelStudioPage:
    """One browser tab on a Label Studio server."""

    def __init__(
        self,
        page: Page,
        url: str,
        shoot: Optional[Callable[[str], None]] = None,
    ):
        self.page = page
        self.url = url.rstrip("/")
        self._shoot = shoot or (lambda name: None)

    def login(self, email: str, password: str) -> None:
        page = self.page
        page.goto(self.url + "/user/login/", wait_until="domcontentloaded")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        self._shoot("ls_login")
        page.get_by_role("button", name="Log in").click()
        # a successful login leaves /user/login/ (to the projects page)
        page.wait_for_url(lambda u: "/user/login" not in u, timeout=30000)

    def open_project(self, project_id: int) -> None:
        """The project's data manager (list of tasks)."""
        page = self.page
        page.goto(
            "%s/projects/%d/data" % (self.url, project_id),
            wait_until="domcontentloaded",
        )
        # 1.23 rows have a test id; 1.20-1.22 rows only a class
        page.locator(ROWS).first.wait_for(timeout=30000)
        self._shoot("ls_project")

    def open_tab(self, project_id: int, tab_id: int) -> None:
        """One Data Manager tab (its filters and ordering)."""
        page = self.page
        page.goto(
            "%s/projects/%d/data?tab=%d" % (self.url, project_id, tab_id),
            wait_until="domcontentloaded",
        )
        page.locator(ROWS).first.wait_for(timeout=30000)

    def order_by(self, column: str) -> None:
        """Picks ``column`` in the Data Manager's ordering dropdown (the
        button left of the sort-direction toggle) and waits for the task
        list to reload."""
        page = self.page
        # 1.23: the direction toggle has an aria-label; 1.20: it has none,
        # the trigger is the dropdown button of the same button group
        trigger = page.locator(
            "button:has(+ button[aria-label^='Sort']),"
            " [class*=button-group] > button[class*=dropdown]:has(+ button)"
        ).first
        trigger.click()
        option = page.get_by_text(column, exact=True).last
        option.scroll_into_view_if_needed()
        with page.expect_response(
            lambda r: "/api/tasks" in r.url and r.request.method == "GET",
            timeout=30000,
        ):
            option.click()
        page.mouse.click(5, 700)  # closes the menu (Escape does not)
        time.sleep(1)  # the table re-renders after the answer

    def show_column(self, column: str) -> None:
        """Ticks ``column`` in the Data Manager's Columns menu."""
        page = self.page
        page.get_by_role("button", name="Columns").click()
        # the column's name also sits in the (closed) ordering menu: on
        # 1.20 that copy comes last, on 1.23 first; click the shown one
        items = page.get_by_text(column, exact=True)
        items.first.wait_for(state="attached")
        shown = [
            items.nth(i)
            for i in range(items.count())
            if items.nth(i).is_visible()
        ]
        assert shown, "no visible %r in the Columns menu" % column
        shown[-1].click()
        page.keyboard.press("Escape")
        time.sleep(0.5)

    def row_task_ids(self) -> list:
        """The task ids of the rows, top to bottom (the ID column)."""
        return [int(t.split()[0]) for t in self.row_texts()]

    def row_texts(self) -> list:
        """The text of every task row, top to bottom."""
        rows = self.page.locator(ROWS)
        return [rows.nth(i).inner_text() for i in range(rows.count())]

    def open_first_task(self) -> None:
        """Clicks the first task row; its labeling editor opens."""
        self.page.locator(ROWS).first.click()
        self.wait_for_image()
        self._shoot("ls_task")

    def open_task(self, project_id: int, task_id: int) -> None:
        self.page.goto(
            "%s/projects/%d/data?task=%d" % (self.url, project_id, task_id),
            wait_until="domcontentloaded",
        )
        self.wait_for_image()
        self._shoot("ls_task")

    def image(self, tag_name: str = IMAGE_TAG_NAME):
        return self.page.locator("img[alt='%s']" % tag_name).first

    def wait_for_image(self, tag_name: str = IMAGE_TAG_NAME) -> None:
        img = self.image(tag_name)
        img.wait_for(state="visible", timeout=30000)
        # the media is fetched as a blob; its size is known once decoded
        self.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0",
            arg=img.element_handle(),
            timeout=30000,
        )
        # the Konva stage is laid out over the image a moment later
        self.page.locator("canvas").first.wait_for(timeout=30000)
        time.sleep(0.5)

    def select_label(self, label: str) -> None:
        """Clicks the label chip below the image (makes it the active
        label of the next region drawn)."""
        chip = self.page.locator(
            ".lsf-label",
            has=self.page.locator(".lsf-label__text", has_text=label),
        ).filter(has_text=label)
        chip = chip.first
        chip.click()
        self.page.wait_for_function(
            "el => el.className.includes('selected')",
            arg=chip.element_handle(),
            timeout=5000,
        )

    def draw_box(
        self,
        label: str,
        x: float,
        y: float,
        width: float,
        height: float,
        tag_name: str = IMAGE_TAG_NAME,
    ) -> DrawnBox:
        """Draws a rectangle with the mouse; coordinates are fractions of
        the displayed image. Returns the box as drawn, in fractions."""
        regions = self.page.locator(".lsf-outliner-item")
        before = regions.count()
        self.select_label(label)
        box = self.image(tag_name).bounding_box()
        x0 = box["x"] + x * box["width"]
        y0 = box["y"] + y * box["height"]
        x1 = x0 + width * box["width"]
        y1 = y0 + height * box["height"]
        mouse = self.page.mouse
        mouse.move(x0, y0)
        mouse.down()
        # several steps: the editor starts a region on the first move
        mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
        mouse.move(x1, y1, steps=5)
        mouse.up()
        # the new region shows up in the Regions list (the outliner)
        regions.nth(before).wait_for(timeout=10000)
        self._shoot("ls_drawn")
        return DrawnBox(
            label,
            (x0 - box["x"]) / box["width"],
            (y0 - box["y"]) / box["height"],
            (x1 - x0) / box["width"],
            (y1 - y0) / box["height"],
        )

    def submit(self) -> None:
        """Presses Submit and waits until the server stored the
        annotation (the POST .../annotations answer)."""
        page = self.page
        with page.expect_response(
            lambda r: "/annotations" in r.url and r.request.method == "POST",
            timeout=30000,
        ) as answer:
            # 1.23: a test id; 1.22: name=submit; 1.20: aria-label=submit
            page.locator(
                "[data-testid=bottombar-submit-button], "
                "button[name=submit], button[aria-label=submit]"
            ).first.click()
        response = answer.value
        if response.status >= 400:
            raise AssertionError(
                "Label Studio refused the annotation: HTTP %d"
                % response.status
            )
        time.sleep(0.5)
        self._shoot("ls_submitted")
