"""`archiver demo` as a new user runs it: the command archives, serves, and the post page shows the evidence."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo(tmp_path):
    """Run the real command; yield the post URL it prints once Datasette is up."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archiver",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, url = [], None
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        m = re.search(r"Open (http://\S+)", line)
        url = m.group(1) if m else None
    try:
        assert url, "".join(output)
        yield url, "".join(output), tmp_path / "demo"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_serves_the_post_with_its_photo_hashes_and_the_articles_copy(demo, page, tmp_path):
    url, output, directory = demo
    assert "archived https://news.example/2024/08/lashio-command-captured.txt: ok" in output
    assert (directory / "archive.db").exists()

    page.goto(url, wait_until="load")
    page.screenshot(path=tmp_path / "demo-post.png", full_page=True)

    body = page.locator("body").inner_text()
    assert "Thomas van Linge" in body and "@ThomasVLinge" in body
    assert "raise their flag over the Northeastern regional command" in body
    # The photo is served from the blob store by its hash and actually decodes.
    img = page.locator('img[src^="/-/media/"]').first
    assert img.evaluate("i => i.complete && i.naturalWidth") == 1600
    sha256 = img.get_attribute("src").rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", sha256) and sha256 in body
    assert "PDQ" in body and "pHash" in body
    # The article's own copy sits beside the archived text, with how it was found.
    assert "text-signature" in body and "August 3, 2024" in body
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    assert all(u.startswith(url.split("/archive/")[0]) for u in page.requested)


def test_demo_archive_is_searchable(demo, page):
    url, _, _ = demo
    base = url.split("/archive/")[0]
    page.goto(f"{base}/archive/posts?_search=MNDAA", wait_until="load")
    assert "1 row" in page.locator("body").inner_text()
    assert page.locator("a", has_text="x:1819675899329130543").count() >= 1


def test_a_new_user_verifies_and_geolocates_the_demo_post_then_finds_it_by_search(
    demo, page, tmp_path
):
    url, output, _ = demo
    base = url.split("/archive/")[0]
    sign_in = re.search(r"Sign in as 'demo analyst' to annotate .*: (http://\S+)", output)
    assert sign_in, output

    page.goto(url, wait_until="load")
    assert page.locator('img[src^="/-/media/"]').first.evaluate("i => i.naturalWidth") == 1600
    assert "PDQ" in page.locator("body").inner_text()
    assert page.get_by_role("heading", name="The article's copy").is_visible()
    assert page.locator("form.archiver-form").count() == 0  # read only until signed in

    page.goto(sign_in.group(1), wait_until="load")
    page.get_by_role("button", name="Sign in as demo analyst").click()
    page.wait_for_load_state("load")
    assert "Signed in as demo analyst" in page.locator("body").inner_text()
    page.goto(url, wait_until="load")
    verification = page.locator("form.archiver-form-verification")
    verification.locator("select[name=verification]").select_option("verified")
    verification.locator("textarea[name=body]").fill(
        "Flag and building match the Northeastern Command HQ"
    )
    verification.get_by_role("button", name="Save verification").click()
    page.wait_for_load_state("load")
    place = page.locator("form.archiver-form-geolocation")
    place.locator("svg.archiver-map").click()  # a rough click first, as a user would
    place.locator("[name=latitude]").fill("22.9386")
    place.locator("[name=longitude]").fill("97.7413")
    place.locator("[name=body]").fill("Satellite imagery of the command compound")
    place.get_by_role("button", name="Save geolocation").click()
    page.wait_for_load_state("load")
    page.screenshot(path=tmp_path / "demo-annotated.png", full_page=True)

    findings = page.locator(".archiver-findings").inner_text()
    assert "VERIFIED" in findings.upper() and "22.93860, 97.74130" in findings
    assert page.locator(".archiver-history tbody tr").count() == 2

    # Find the post again by a word of its text, from the list of posts with their findings.
    page.goto(f"{base}/archive/posts_overview", wait_until="load")
    page.locator("input[name=_search]").fill("regional")
    page.locator("input[name=_search]").press("Enter")
    page.wait_for_load_state("load")
    assert "1 row" in page.locator("body").inner_text()
    page.locator("a", has_text="x:1819675899329130543").first.click()
    page.wait_for_load_state("load")
    assert "Satellite imagery of the command compound" in page.locator("body").inner_text()
    page.screenshot(path=tmp_path / "demo-found-again.png")
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    assert all(u.startswith(base) for u in page.requested), page.requested
