"""End to end in a real browser: Debian's Chromium, driven by Playwright, draws on the canvas.

Screenshots of each tab go to $SCREENSHOT_DIR when it is set (docs/screenshots in the repo).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from bench.harness import CHROMIUM, chromium

pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)

# Strokes of a 7 and a 1 in fractions of the canvas: lists of (x, y) points, each list one stroke.
DIGITS = {
    "7": [[(0.3, 0.25), (0.72, 0.25), (0.45, 0.85)]],
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
}


@pytest.fixture(scope="module")
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(app_url)
        page.wait_for_selector("canvas", timeout=60_000)
        yield page
        browser.close()


def screenshot(page, name):
    """The page as it is, once its animations have ended, into $SCREENSHOT_DIR when it is set."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.wait_for_timeout(1000)
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def draw(page, strokes, canvas_index=0):
    """Draws with the mouse inside the visible square drawing area of a Sketchpad."""
    canvas = page.locator("canvas:visible").nth(canvas_index)
    box = canvas.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(left + x * side, top + y * side)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(left + x * side, top + y * side, steps=12)
        page.mouse.up()


def clear(page):
    page.get_by_role("button", name="Clear canvas").locator("visible=true").first.click()


def settled(page, locator, timeout=20_000) -> str:
    """A locator's text once it stops changing: the canvas also sends while a stroke is being drawn."""
    text, left = None, timeout / 1000
    while left > 0:
        page.wait_for_timeout(400)
        left -= 0.4
        if locator.inner_text().strip() == text:
            return text
        text = locator.inner_text().strip()
    return text


def predicted(page, timeout=20_000):
    """The top class once the answer has settled."""
    label = page.locator(".output-class:visible").first
    page.wait_for_function("el => /^[0-9]$/.test(el.innerText.trim())", arg=label.element_handle(), timeout=timeout)
    return settled(page, label, timeout)


@pytest.mark.parametrize("digit", ["7"])  # a 1: test_the_answer_follows_the_pen...
def test_draw_a_digit_and_read_the_prediction(page, digit):
    page.get_by_role("tab", name="Draw", exact=True).click()
    page.get_by_role("tab", name="Answer").click()
    clear(page)
    page.wait_for_timeout(500)
    draw(page, DIGITS[digit])
    assert predicted(page) == digit
    assert page.locator("figure.view > img:visible").count() == 2  # what the model sees, and the saliency
    screenshot(page, f"draw_{digit}")


def test_the_answer_follows_the_pen_and_the_pictures_come_when_the_stroke_ends(page):
    page.get_by_role("tab", name="Draw", exact=True).click()
    page.get_by_role("tab", name="Answer").click()
    clear(page)
    page.wait_for_timeout(500)
    canvas = page.locator("canvas:visible").first
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 16):  # a slow vertical stroke: a 1, drawn over about a second and a half
        page.mouse.move(x, y + step * box["height"] * 0.045)
        page.wait_for_timeout(100)
    label = page.locator(".output-class:visible").first
    page.wait_for_function("el => /^[0-9]$/.test(el.innerText.trim())", arg=label.element_handle(), timeout=10_000)
    assert page.locator("figure.view > img:visible").count() == 0  # the pen is still down
    page.mouse.up()
    page.locator("figure.view > img:visible").nth(1).wait_for(timeout=10_000)
    assert predicted(page) == "1"
    screenshot(page, "draw_1")


def test_an_example_goes_onto_the_canvas_and_a_non_digit_is_said_so(page):
    page.get_by_role("tab", name="Draw", exact=True).click()
    page.get_by_role("tab", name="Answer").click()
    clear(page)
    page.get_by_text("7", exact=True).locator("visible=true").last.click()
    assert predicted(page) == "7"
    ink = page.locator("canvas:visible").first.evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 == 0 && v < 128)"
        ".length"
    )
    assert ink > 500  # the example is drawn on the canvas, where strokes can be added
    assert page.locator(".not-a-digit:visible").count() == 0
    page.get_by_text("the letter M", exact=True).click()
    page.locator(".not-a-digit:visible").wait_for(timeout=20_000)
    assert "does not look like a digit" in page.locator(".not-a-digit:visible").inner_text()
    screenshot(page, "not_a_digit")


def test_compare_view(page):
    page.get_by_role("tab", name="Draw", exact=True).click()
    clear(page)
    page.get_by_role("tab", name="Compare").click()
    page.wait_for_timeout(800)
    draw(page, DIGITS["7"])
    summary = page.get_by_text(re.compile(r"All \d models say")).or_(page.get_by_text("The models disagree")).first
    summary.wait_for(timeout=20_000)
    answer = settled(page, page.locator("h3:visible").filter(has_text=re.compile("models (say|disagree)")).first)
    # every model answers, and the answer most of them give is the 7 that was drawn
    assert re.match(r"(All 5 models say 7|The models disagree: 7 \()", answer), answer
    assert page.locator("figure.card:visible").count() == 5  # each model's bars, saliency map and caption
    assert page.locator("figure.card img[alt=saliency]:visible").count() == 5
    screenshot(page, "compare")


def test_inside_view_renders_every_layer(page):
    """The drawing made in the Compare view is the one the Inside view shows: it is not drawn again."""
    page.get_by_role("tab", name="Inside").click()
    layers = page.locator(".inside section.layer:visible")
    layers.first.wait_for(timeout=20_000)
    assert settled(page, page.locator(".inside:visible").first).startswith("input · 28 x 28 x 1")
    names = [h.strip() for h in layers.locator("h4").all_inner_texts()]
    assert names[-1] == "softmax · 10" and len(names) >= 4
    images = page.locator(".inside img[alt='feature maps']:visible, .inside img[alt='unit activations']:visible")
    assert images.count() == len(names) - 1
    for i in range(images.count()):  # every layer's picture was decoded by the browser: not an empty or broken image
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    page.wait_for_timeout(500)
    screenshot(page, "inside")


def test_what_would_make_it_a_2(page):
    page.get_by_role("tab", name="What would make it a...?").click()
    page.get_by_role("radio", name="2").check()
    verdicts = page.locator("figure.nudge:visible")
    verdicts.first.wait_for(timeout=30_000)
    assert verdicts.count() == 5
    text = settled(page, page.locator(".tiles.maps:visible").first)
    assert text.count("reads 2 after") >= 3, text  # most models were talked into a 2
    screenshot(page, "what_if")


def test_explore_tab(page):
    page.get_by_role("tab", name="Explore").click()
    summary = page.get_by_text("of the 10,000 test digits right")
    summary.wait_for(timeout=60_000)
    accuracy, wrong = re.search(
        r"([\d.]+)% of the 10,000 test digits right, (\d+) wrong", summary.inner_text()
    ).groups()
    assert float(accuracy) > 99 and int(wrong) == round(10_000 * (1 - float(accuracy) / 100))
    thumbnails = page.locator("button.thumbnail-item:visible")
    assert thumbnails.count() == min(int(wrong), 60)
    thumbnails.first.click()
    assert predicted(page, timeout=10_000).isdigit()  # the clicked digit's probabilities
    screenshot(page, "explore")


def test_train_tab_shows_the_vanilla_failure_live(page):
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Show the failure").click()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"step [\d,]+ / [\d,]+")).first.wait_for(timeout=60_000)
    page.get_by_label("Change the learning rate during the run to").fill("0.05")
    page.get_by_role("button", name="Change it now").click()
    page.get_by_text("Learning rate 0.05 from the next steps on").wait_for(timeout=10_000)
    page.get_by_text(re.compile(r"my vanilla_mlp \d+: test accuracy")).wait_for(timeout=120_000)
    accuracy = float(
        re.search(
            r"test accuracy ([\d.]+)%", page.get_by_text(re.compile(r"my vanilla_mlp \d+: test accuracy")).inner_text()
        ).group(1)
    )
    assert accuracy < 40  # the tutorial's failure to learn, reproduced
    assert page.locator(".vega-embed, canvas.marks").count() > 0  # the curves were drawn
    assert page.locator("img[alt='first-layer weights']:visible").count() == 1  # the weights as they learned
    screenshot(page, "train")
