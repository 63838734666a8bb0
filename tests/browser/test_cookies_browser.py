"""The run's logged-in session in the form a browser render takes (SessionCookies.for_browser):
Debian's Chromium accepts it and sends each cookie only where it belongs."""

from __future__ import annotations

import pytest

from archiver.fetch.cookies import SessionCookies

pytestmark = pytest.mark.browser


def test_chromium_takes_the_session_and_keeps_it_to_its_domain(browser, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        ".instagram.com\tTRUE\t/\tTRUE\t2145916800\tsessionid\tIG-SESSION\n"
        "#HttpOnly_.instagram.com\tTRUE\t/\tTRUE\t0\tds_user_id\t4242\n"
        ".facebook.com\tTRUE\t/\tTRUE\t2145916800\tc_user\tFB\n"
    )
    context = browser.new_context()
    try:
        context.add_cookies(SessionCookies.load(cookies).for_browser())
        instagram = {c["name"]: c for c in context.cookies("https://www.instagram.com/p/x/")}
        assert instagram["sessionid"]["value"] == "IG-SESSION"
        assert instagram["ds_user_id"]["httpOnly"] and instagram["ds_user_id"]["expires"] == -1
        assert "c_user" not in instagram
        assert [c["name"] for c in context.cookies("https://www.facebook.com/")] == ["c_user"]
    finally:
        context.close()
