"""--cookies: a logged-in session opens a post behind Instagram's login wall, its cookies go
only to the hosts they belong to, the WARC keeps none of their values (and says so), and the
manifest names the host the session was used for.

Real: the 2020 Instagram post page (tests/fixtures/instagram, see test_instagram.py).
Modelled: Instagram's answer to a client without a session (a 302 to its login page), and
the cookies.txt a browser export writes (the Netscape format yt-dlp and gallery-dl take).
"""

from __future__ import annotations

import gzip
import json

from factories import jpeg_bytes
from recorded import fixture_path
from test_cli import archive_args, run
from warcio.archiveiterator import ArchiveIterator

from archiver.web.replay import ReplayResponse

POST = "https://www.instagram.com/p/ySl7G9tO_q/"
IMAGE_HOST = "instagram.fmad7-1.fna.fbcdn.net"
IMAGE = (
    f"https://{IMAGE_HOST}/v/t51.2885-15/e15/10948350_1537839273135776_400653032_n.jpg"
    f"?_nc_ht={IMAGE_HOST}&_nc_cat=108&_nc_ohc=6ciqMJFONRsAX_4m7SN"
    "&oh=292e61e54d6a0617a60bea677170d4d1&oe=5EEFE649"
)
SESSION_ID = "7741-SECRET-SESSION-VALUE-e9f0"
COOKIES_TXT = f"""# Netscape HTTP Cookie File
# https://curl.haxx.se/rfc/cookie_spec.html
# This is a generated file! Do not edit.

.instagram.com\tTRUE\t/\tTRUE\t2145916800\tsessionid\t{SESSION_ID}
#HttpOnly_.instagram.com\tTRUE\t/\tTRUE\t0\tds_user_id\t4242
.facebook.com\tTRUE\t/\tTRUE\t2145916800\tc_user\tFACEBOOK-ONLY-VALUE
.example.org\tTRUE\t/\tFALSE\t946684800\texpired\tLONG-GONE
"""


def serve_login_walled_post(replay) -> None:
    """The post page for a session that has Instagram's sessionid, the login redirect otherwise."""
    page = fixture_path("instagram", "instagram_post_page_ySl7G9tO_q_2020_extracted.html")

    def post_page(request, http):
        if f"sessionid={SESSION_ID}" in request.headers.get("cookie", ""):
            return ReplayResponse(
                200,
                {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "csrftoken=RENEWED-TOKEN; Secure"},
                page.read_bytes(),
            )  # fmt: skip
        return ReplayResponse(302, {"Location": "https://www.instagram.com/accounts/login/"})

    replay.add(POST, handler=post_page)
    replay.add("https://www.instagram.com/accounts/login/", "<title>Login • Instagram</title>")
    replay.add(IMAGE, jpeg_bytes(seed=81, size=(320, 320)), content_type="image/jpeg")


def warc_text(settings) -> str:
    return "".join(
        gzip.decompress(path.read_bytes()).decode("latin-1")
        for path in sorted(settings.warcs.glob("*.warc.gz"))
    )


def test_a_cookie_file_opens_the_post_and_goes_only_to_its_own_host(replay, settings, tmp_path):
    serve_login_walled_post(replay)
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(COOKIES_TXT)

    result = run(archive_args(settings, "--json", "--cookies", str(cookies), POST))

    assert result.exit_code == 0, result.output + result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "ok" and out["post_ids"] == ["instagram:ySl7G9tO_q"]
    sent = {r.host: r.headers.get("cookie") for r in replay.requests}
    assert sent["www.instagram.com"] == f"sessionid={SESSION_ID}; ds_user_id=4242"
    assert sent[IMAGE_HOST] is None  # a CDN host of another domain gets none of them
    assert all(
        "FACEBOOK-ONLY-VALUE" not in (r.headers.get("cookie") or "") for r in replay.requests
    )


def test_the_warc_keeps_no_cookie_value_and_says_what_it_redacted(replay, settings, tmp_path):
    serve_login_walled_post(replay)
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(COOKIES_TXT)
    assert run(archive_args(settings, "-q", "--cookies", str(cookies), POST)).exit_code == 0

    warc = warc_text(settings)
    assert SESSION_ID not in warc and "ds_user_id" not in warc
    assert "RENEWED-TOKEN" not in warc  # the session's renewed cookie neither
    records = warc_records(settings)
    request = records[("request", POST)]
    assert request.rec_headers.get_header("WARC-Archiver-Redacted") == "Cookie"
    assert request.http_headers.get_header("Cookie") == "[redacted by archiver: logged-in session]"
    response = records[("response", POST)]
    assert response.rec_headers.get_header("WARC-Archiver-Redacted") == "Set-Cookie"
    assert (
        response.http_headers.get_header("Set-Cookie")
        == "[redacted by archiver: logged-in session]"
    )
    # The image request carried no cookie, so nothing of it was redacted.
    image_request = records[("request", IMAGE)]
    assert image_request.http_headers.get_header("Cookie") is None
    assert image_request.rec_headers.get_header("WARC-Archiver-Redacted") is None


def warc_records(settings) -> dict:
    """(type, target URI) -> the last such record of the run's WARC files (headers only)."""
    found = {}
    for path in sorted(settings.warcs.glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                found[(record.rec_type, uri)] = record
    return found


def test_the_manifest_names_the_logged_in_host_never_the_values(replay, settings, tmp_path):
    serve_login_walled_post(replay)
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(COOKIES_TXT)
    result = run(archive_args(settings, "--json", "--cookies", str(cookies), POST))
    capture_id = json.loads(result.stdout)["capture_id"]

    from archiver.store.connection import open_db

    db = open_db(settings.db_path)
    manifest = db.execute(
        "select manifest from manifests where capture_id = ?", [capture_id]
    ).fetchone()[0]
    db.close()
    assert json.loads(manifest)["logged_in_hosts"] == ["www.instagram.com"]
    assert SESSION_ID not in manifest and "4242" not in manifest
    assert run(["verify", "--db", str(settings.db_path)]).exit_code == 0


def test_without_cookies_the_post_is_behind_the_login_wall(replay, settings):
    serve_login_walled_post(replay)
    result = run(archive_args(settings, "--json", POST))
    out = json.loads(result.stdout)
    assert out["status"] == "unavailable" and "requires login" in out["error"]
    assert all(r.headers.get("cookie") is None for r in replay.requests)


def test_a_malformed_cookie_file_is_one_clear_line(settings, tmp_path):
    bad = tmp_path / "cookies.json"
    bad.write_text('[{"name": "sessionid", "value": "x"}]')
    result = run(archive_args(settings, "--cookies", str(bad), POST))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "not a Netscape cookies.txt file" in result.stderr and "Traceback" not in result.stderr
    assert not settings.db_path.exists()  # nothing was started

    missing = run(archive_args(settings, "--cookies", str(tmp_path / "nope.txt"), POST))
    assert missing.exit_code == 2 and "cannot read it" in missing.stderr


def test_the_jar_keeps_to_each_cookies_path_and_secure_flag(tmp_path):
    from archiver.fetch.cookies import SessionCookies

    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# HTTP Cookie File\n"
        ".threads.net\tTRUE\t/\tTRUE\t2145916800\tsessionid\tTHREADS\n"
        "www.facebook.com\tFALSE\t/groups/\tFALSE\t2145916800\tgroup_pref\tG1\n"
    )
    jar = SessionCookies.load(cookies)
    assert jar.header_for("https://www.threads.net/@zuck/post/C1") == "sessionid=THREADS"
    assert jar.header_for("http://www.threads.net/@zuck/post/C1") is None  # secure: https only
    assert jar.header_for("https://www.facebook.com/groups/1/posts/2") == "group_pref=G1"
    assert jar.header_for("https://www.facebook.com/photo?fbid=1") is None  # another path
    assert jar.header_for("https://m.facebook.com/groups/1") is None  # host-only cookie
    assert jar.domains == ["threads.net", "www.facebook.com"]
