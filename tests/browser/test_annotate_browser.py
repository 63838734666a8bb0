"""Annotating a post in Debian's Chromium: sign in, place it on the map, verify it, see the history."""

from __future__ import annotations

import pytest
from annotated_archive import build_annotated_archive

from archiver.web.serve import make_datasette, sign_in_path

pytestmark = pytest.mark.browser

POST_PAGE = "/archive/posts/x~3A1819675899329130543"
# Hostile notes go on a light page; the hostile post's own megabyte of text has its own test.
REPOST_PAGE = "/archive/posts/x~3A2000000000000000001"
NEAR_PAGE = "/archive/posts/x~3A2000000000000000002"  # for the note that gets retracted


@pytest.fixture(scope="module")
def served(tmp_path_factory, serve_app):
    archive = build_annotated_archive(tmp_path_factory.mktemp("annotate"))
    ds = make_datasette(archive.settings, sign_in={"alice": "secret-token"})
    with serve_app(ds.app()) as base:
        yield archive, base


def test_sign_in_geolocate_verify_reload_and_see_the_history(served, page, tmp_path):
    archive, base = served
    page.goto(base + POST_PAGE, wait_until="load")
    assert page.get_by_text("Sign in", exact=True).is_visible()
    assert page.locator("form.archiver-form").count() == 0  # anonymous: read only

    page.goto(f"{base}{sign_in_path('secret-token')}&next={POST_PAGE}", wait_until="load")
    page.get_by_role("button", name="Sign in as alice").click()  # a link alone signs nobody in
    page.wait_for_load_state("load")
    assert page.url == base + POST_PAGE
    assert page.get_by_text("Signed in as alice").first.is_visible()
    photo = page.locator(f'img[src="/-/media/{archive.photo_sha256}"]')
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 480
    assert page.get_by_text(archive.photo_sha256, exact=True).first.is_visible()

    # Geolocation: a click on the map picks a place; typed coordinates then refine it.
    form = page.locator("form.archiver-form-geolocation")
    picker = form.locator("svg.archiver-map")
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
    picked = (float(form.locator("[name=latitude]").input_value()),
              float(form.locator("[name=longitude]").input_value()))  # fmt: skip
    assert abs(picked[0] - 45) < 3 and abs(picked[1] - 90) < 3, picked
    assert form.locator(".archiver-pick").get_attribute("visibility") == "visible"
    form.locator("button[data-map-zoom=in]").click()
    assert picker.get_attribute("viewBox").split()[2] == "120"
    form.locator("[name=latitude]").fill("22.9665")
    form.locator("[name=longitude]").fill("97.7525")
    assert form.locator(".archiver-pick").get_attribute("cx") == "97.7525"
    form.locator("[name=precision_m]").fill("25")
    form.locator("[name=body]").fill("Minaret and water tower line up")
    form.get_by_role("button", name="Save geolocation").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Saved #1: geolocation 22.966500, 97.752500 (±25 m)").is_visible()

    verification = page.locator("form.archiver-form-verification")
    verification.locator("select[name=verification]").select_option("verified")
    verification.locator("textarea[name=body]").fill("Skyline matches **three** landmarks")
    verification.get_by_role("button", name="Save verification").click()
    page.wait_for_load_state("load")

    page.reload(wait_until="load")
    current = page.locator(".archiver-annotation-target").first
    assert current.locator(".archiver-verification-verified").inner_text().lower() == "verified"
    assert current.locator(".archiver-current strong", has_text="three").is_visible()  # Markdown
    assert current.locator(".archiver-coordinates").inner_text() == "22.966500, 97.752500"
    history = current.locator(".archiver-history tbody tr")
    assert history.count() == 2
    assert "geolocation 22.966500, 97.752500" in history.nth(0).inner_text()
    assert "verification: verified" in history.nth(1).inner_text()
    marker = page.locator(".archiver-annotations svg.archiver-map circle.archiver-marker")
    assert marker.count() == 1 and marker.get_attribute("cx") == "97.7525"
    page.screenshot(path=tmp_path / "annotated.png", full_page=True)
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    assert all(url.startswith(base) for url in page.requested), page.requested


def test_no_script_from_notes_or_tags_runs(served, page, tmp_path):
    _, base = served
    page.goto(f"{base}{sign_in_path('secret-token')}&next={REPOST_PAGE}", wait_until="load")
    page.get_by_role("button", name="Sign in as alice").click()
    page.wait_for_load_state("load")
    note = page.locator("form.archiver-form-note")
    note.locator("textarea[name=body]").fill(
        "<script>alert('note')</script> <img src=x onerror=alert(2)> "
        "[click me](javascript:alert(3)) ![px](https://tracker.example/p.gif)"
    )
    note.get_by_role("button", name="Add note").click()
    page.wait_for_load_state("load")
    tag = page.locator("form.archiver-form-tag")
    tag.locator("input[name=tag]").fill("<img src=x onerror=alert('tag')>")
    tag.get_by_role("button", name="Add tag").click()
    page.wait_for_load_state("load")

    notes = page.locator(".archiver-current .archiver-note").first
    assert "<script>alert('note')</script>" in notes.inner_text()
    assert page.locator(".archiver-tag", has_text="onerror").first.is_visible()
    link = notes.get_by_text("click me")
    assert link.evaluate("el => el.closest('a')") is None  # javascript: is never a link
    link.click()
    page.screenshot(path=tmp_path / "hostile-annotated.png", full_page=False)
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    assert all(url.startswith(base) for url in page.requested), page.requested


def test_the_sign_in_form_lays_out_cleanly(served, page, tmp_path):
    # Datasette's 15%-wide inline labels once put the button on top of the token input.
    _, base = served
    for state, path in [("empty", "/-/sign-in"), ("bad-token", sign_in_path("wrong"))]:
        page.goto(base + path, wait_until="load")
        label, token, button = (
            page.locator(selector).bounding_box()
            for selector in [
                "label[for=archiver-token]",
                "#archiver-token",
                "form input[type=submit]",
            ]
        )
        assert label["y"] + label["height"] <= token["y"], state  # the label above the input
        assert token["x"] + token["width"] <= button["x"], state  # the button after it, not over it
        assert token["width"] >= 200, state
        page.screenshot(path=tmp_path / f"sign-in-{state}.png")
    assert page.locator(".message-error").is_visible()


def test_a_note_in_the_history_keeps_its_italics_and_retracting_asks_first(served, page, tmp_path):
    _, base = served
    page.goto(f"{base}{sign_in_path('secret-token')}&next={NEAR_PAGE}", wait_until="load")
    page.get_by_role("button", name="Sign in as alice").click()
    page.wait_for_load_state("load")
    note = page.locator("form.archiver-form-note")
    note.locator("textarea[name=body]").fill("Checked against *Reuters* footage")
    note.get_by_role("button", name="Add note").click()
    page.wait_for_load_state("load")

    # Datasette's `td em` (its null marker: small and grey) must not restyle Markdown emphasis.
    history = page.locator(".archiver-annotation-target").first.locator(".archiver-history")
    emphasis = history.locator("td em", has_text="Reuters")
    style = emphasis.evaluate(
        "em => { const s = getComputedStyle(em), p = getComputedStyle(em.parentElement);"
        " return [s.fontStyle, s.fontSize === p.fontSize, s.color === p.color]; }"
    )
    assert style == ["italic", True, True], style

    # Retracting takes two steps and offers a reason; "Retract…" only opens the confirmation,
    # and Cancel closes it with nothing written.
    row = history.locator("tbody tr").first
    confirm = page.locator("form.archiver-retract").first
    assert not confirm.is_visible()
    row.get_by_role("button", name="Retract…").click()
    assert confirm.is_visible() and history.evaluate("d => d.open")
    confirm.get_by_role("button", name="Cancel").click()
    assert not confirm.is_visible() and statuses(history) == ["current"]
    row.get_by_role("button", name="Retract…").click()
    page.screenshot(path=tmp_path / "retract-confirm.png")
    confirm.locator("input[name=body]").fill("Wrong clip")
    confirm.get_by_role("button", name="Retract #").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Saved #").first.is_visible()
    rows = page.locator(".archiver-annotation-target").first.locator(".archiver-history tbody tr")
    assert rows.count() == 2
    assert "retracted by" in rows.nth(0).inner_text()
    assert "Wrong clip" in rows.nth(1).inner_text()
    assert page.locator("form.archiver-retract").count() == 0  # nothing current to retract
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)


def statuses(history) -> list[str]:
    """The Status column of a history table."""
    return [cell.strip() for cell in history.locator("tbody tr td:nth-child(6)").all_inner_texts()]
