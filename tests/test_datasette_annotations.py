"""Annotating in Datasette (through datasette.client): who may write, CSRF, what the pages show."""

from __future__ import annotations

import asyncio
import re

import pytest
from annotated_archive import NEAR_ID, REPOST_ID, UNRELATED_ID, build_annotated_archive
from served_archive import POST_ID

from archiver.store.connection import open_db
from archiver.store.eventlog import check_chain
from archiver.web.serve import make_datasette, sign_in_path

POST_PAGE = "/archive/posts/x~3A1819675899329130543"
HOSTILE_PAGE = "/archive/posts/x~3A666"
HOSTILE_NOTE = (
    "<script>alert('note')</script> <img src=x onerror=alert(2)> "
    "[click](javascript:alert(3)) ![p](https://tracker.example/p.gif) " + "B" * 10_000
)
HOSTILE_TAG = "<script>alert('tag')</script>"


@pytest.fixture
def archive(tmp_path):
    return build_annotated_archive(tmp_path)


@pytest.fixture
def ds(archive):
    return make_datasette(archive.settings, sign_in={"alice": "alice-token"})


def call(ds, method: str, path: str, cookies: dict | None = None, **kwargs):
    if cookies:
        kwargs["headers"] = {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    return asyncio.run(getattr(ds.client, method)(path, **kwargs))


def signed_in(ds, name: str = "alice") -> dict:
    return {"ds_actor": ds.sign({"a": {"id": name}}, "actor")}


def form_token(ds, cookies: dict) -> tuple[dict, str]:
    """What a browser has after opening the post page: the CSRF cookie and the form's token."""
    page = call(ds, "get", POST_PAGE, cookies)
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return cookies | {"ds_csrftoken": page.cookies["ds_csrftoken"]}, token


def annotation_rows(archive) -> list[dict]:
    db = open_db(archive.settings.db_path)
    try:
        return [dict(r) for r in db.query("select * from annotations order by id")]
    finally:
        db.close()


VERIFY = {
    "target": f"post:{POST_ID}",
    "kind": "verification",
    "verification": "verified",
    "body": "Matches the **skyline**",
    "return_to": POST_PAGE,
}


def test_the_sign_in_link_asks_for_one_click_before_it_signs_in(ds):
    link = call(ds, "get", sign_in_path("alice-token") + "&next=" + POST_PAGE)
    # Opening the link signs nobody in (login CSRF): it shows a button that posts the token.
    assert link.status_code == 200 and "ds_actor" not in link.cookies
    assert 'value="Sign in as alice"' in link.text
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', link.text).group(1)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', link.text))
    assert form == {"csrftoken": csrf, "next": POST_PAGE, "token": "alice-token"}
    cookies = {"ds_csrftoken": link.cookies["ds_csrftoken"]}

    response = call(ds, "post", "/-/sign-in", cookies, data=form)

    assert response.status_code == 302 and response.headers["location"] == POST_PAGE
    assert ds.unsign(response.cookies["ds_actor"], "actor") == {"a": {"id": "alice"}}
    assert call(ds, "get", sign_in_path("wrong")).status_code == 403
    # Without the CSRF token, a post from another site signs nobody in.
    assert call(ds, "post", "/-/sign-in", data={"token": "alice-token"}).status_code == 403


@pytest.mark.parametrize(
    "away",
    ["//evil.example/", "/\\evil.example/", "/%09/evil.example", "/%0b/evil.example",
     "/%0a/evil.example", "https://evil.example/", "/ /evil.example"],
)  # fmt: skip
def test_after_sign_in_somewhere_else_than_this_site_is_never_a_place_to_go(ds, away):
    link = call(ds, "get", "/-/sign-in?next=" + POST_PAGE)
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', link.text).group(1)
    cookies = {"ds_csrftoken": link.cookies["ds_csrftoken"]}
    from urllib.parse import unquote

    form = {"csrftoken": csrf, "token": "alice-token", "next": unquote(away)}
    response = call(ds, "post", "/-/sign-in", cookies, data=form)
    assert response.status_code == 302 and response.headers["location"] == "/"


def test_sign_in_tokens_are_never_shown(ds, archive):
    for path in ["/-/metadata.json", "/-/plugins.json", "/-/settings.json", POST_PAGE]:
        assert "alice-token" not in call(ds, "get", path).text
    read_only = make_datasette(archive.settings)
    assert "without sign-in links" in call(read_only, "get", "/-/sign-in").text
    assert call(read_only, "get", sign_in_path("alice-token")).status_code == 403


def test_the_sign_in_form_posts_its_token_out_of_the_address_bar(ds):
    page = call(ds, "get", "/-/sign-in?next=" + POST_PAGE)
    assert page.headers["referrer-policy"] == "no-referrer"
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
    form = {"csrftoken": csrf, "token": "alice-token", "next": POST_PAGE}

    response = call(ds, "post", "/-/sign-in", cookies, data=form)

    assert response.status_code == 302 and response.headers["location"] == POST_PAGE
    assert ds.unsign(response.cookies["ds_actor"], "actor") == {"a": {"id": "alice"}}
    refused = call(ds, "post", "/-/sign-in", cookies, data=form | {"token": "wrong"})
    assert refused.status_code == 403 and "ds_actor" not in refused.cookies
    assert (
        call(ds, "post", "/-/sign-in", cookies, data=form | {"csrftoken": "x"}).status_code == 403
    )


def test_the_sign_in_form_keeps_its_input_out_of_the_label(ds):
    # Datasette makes every form label an inline box 15% wide: an input inside it spilled
    # under the button. tests/browser/test_annotate_browser.py checks the layout itself.
    for response in [call(ds, "get", "/-/sign-in"), call(ds, "get", sign_in_path("wrong"))]:
        form = response.text.split('<form method="post" action="" class="archiver-sign-in">')[1]
        form = form.split("</form>")[0]
        assert '<label for="archiver-token">Token</label>' in form
        assert '<input type="password" id="archiver-token" name="token"' in form
    assert "That sign-in link is not valid" in response.text


def test_anonymous_visitors_read_but_cannot_write(ds, archive):
    page = call(ds, "get", POST_PAGE).text
    assert "Sign in</a>" in page and 'name="csrftoken"' not in page
    # `archiver demo` prints the link too.
    assert "sign-in link <code>archiver serve</code> or <code>archiver demo</code> printed" in page
    response = call(ds, "post", "/-/annotate", data=VERIFY)
    assert response.status_code == 403
    assert annotation_rows(archive) == []
    assert call(ds, "get", "/-/annotate").status_code in (403, 405)


def test_csrf_is_enforced_for_signed_in_actors(ds, archive):
    cookies, token = form_token(ds, signed_in(ds))
    assert call(ds, "post", "/-/annotate", cookies, data=VERIFY).status_code == 403
    wrong = VERIFY | {"csrftoken": "forged"}
    assert call(ds, "post", "/-/annotate", cookies, data=wrong).status_code == 403
    assert annotation_rows(archive) == []


def test_a_signed_in_actor_annotates_and_the_page_shows_it(ds, archive):
    cookies, token = form_token(ds, signed_in(ds))
    response = call(ds, "post", "/-/annotate", cookies, data=VERIFY | {"csrftoken": token})
    assert response.status_code == 302
    assert response.headers["location"] == POST_PAGE + "#annotations"
    place = {
        "target": f"media:{archive.photo_sha256}", "kind": "geolocation", "latitude": "22.9665",
        "longitude": "97.7525", "precision_m": "25", "body": "Minaret", "csrftoken": token,
        "return_to": POST_PAGE,
    }  # fmt: skip
    assert call(ds, "post", "/-/annotate", cookies, data=place).status_code == 302

    rows = annotation_rows(archive)
    assert [(r["kind"], r["author"], r["target_type"]) for r in rows] == [
        ("verification", "alice", "post"),
        ("geolocation", "alice", "media"),
    ]
    html = call(ds, "get", POST_PAGE, cookies).text
    assert (
        "archiver-verification-verified" in html and "Matches the <strong>skyline</strong>" in html
    )
    assert "22.966500, 97.752500" in html and "±25 m" in html
    assert "History of this post (1)" in html and "Retract" in html
    # The photo's geolocation follows the file to the repost, and to the map.
    repost = call(ds, "get", "/archive/posts/x~3A2000000000000000001").text
    assert "22.966500, 97.752500" in repost
    assert "22.966500, 97.752500" in call(ds, "get", "/-/map").text
    db = open_db(archive.settings.db_path)
    assert check_chain(db) == []
    db.close()


def test_a_bad_value_is_reported_on_the_page_and_nothing_is_written(ds, archive):
    cookies, token = form_token(ds, signed_in(ds))
    bad = VERIFY | {"csrftoken": token, "body": ""}
    response = call(ds, "post", "/-/annotate", cookies, data=bad)
    assert response.status_code == 302 and response.headers["location"].endswith("#annotate")
    messages = ds.unsign(response.cookies["ds_messages"], "messages")
    assert messages == [["Not saved: a verification status needs a rationale", ds.ERROR]]
    far = {"target": f"post:{POST_ID}", "kind": "geolocation", "latitude": "north",
           "longitude": "97", "csrftoken": token}  # fmt: skip
    response = call(ds, "post", "/-/annotate", cookies, data=far)
    assert "latitude must be a number" in str(
        ds.unsign(response.cookies["ds_messages"], "messages")
    )
    assert annotation_rows(archive) == []


def test_retract_from_the_page(ds, archive):
    cookies, token = form_token(ds, signed_in(ds))
    call(ds, "post", "/-/annotate", cookies, data=VERIFY | {"csrftoken": token})
    first = annotation_rows(archive)[0]["id"]
    # Not one click: "Retract…" opens a confirmation that asks for an optional reason.
    html = call(ds, "get", POST_PAGE, cookies).text
    opener = f'<button type="button" class="archiver-retract-open" popovertarget="archiver-retract-{first}">'
    assert opener + "Retract…</button>" in html
    confirm = html.split(f'class="archiver-retract" id="archiver-retract-{first}" popover>')[1]
    confirm = confirm.split("</form>")[0]
    assert f"<h3>Retract #{first} (verification: verified)?</h3>" in confirm
    assert '<input type="hidden" name="csrftoken"' in confirm
    assert '<label class="archiver-field">Reason (optional)<input name="body"></label>' in confirm
    assert f'<button type="submit">Retract #{first}</button>' in confirm
    retract = {"action": "retract", "target": f"post:{POST_ID}", "annotation_id": str(first),
               "body": "Wrong *skyline*", "csrftoken": token, "return_to": POST_PAGE}  # fmt: skip
    assert call(ds, "post", "/-/annotate", cookies, data=retract).status_code == 302
    assert annotation_rows(archive)[-1]["body"] == "Wrong *skyline*"
    html = call(ds, "get", POST_PAGE, cookies).text
    assert f"retracted by #{first + 1}" in html and "not assessed" in html
    assert "Wrong <em>skyline</em>" in html  # the reason, in the history


def test_hostile_notes_and_tags_render_inert(ds, archive):
    cookies, token = form_token(ds, signed_in(ds, name="<b>mallory</b>"))
    for form in [
        {"kind": "note", "body": HOSTILE_NOTE},
        {"kind": "tag", "tag": HOSTILE_TAG},
    ]:
        data = form | {"target": "post:x:666", "csrftoken": token, "return_to": HOSTILE_PAGE}
        assert call(ds, "post", "/-/annotate", cookies, data=data).status_code == 302
    html = call(ds, "get", HOSTILE_PAGE, cookies).text
    for live in ["<script>alert('note')", "<img src=x", 'href="javascript:', "<script>alert('tag')",
                 "<b>mallory", "<img src=\"https://tracker"]:  # fmt: skip
        assert live not in html
    assert "&lt;script&gt;alert('note')&lt;/script&gt;" in html  # markdown-it leaves ' as is
    assert "&lt;script&gt;alert(&#39;tag&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;mallory&lt;/b&gt;" in html
    assert "B" * 10_000 in html
    assert "A" * 1_000_000 in html  # the hostile post's megabyte is still all there


def test_other_posts_with_the_same_or_a_near_duplicate_photo(ds):
    html = call(ds, "get", POST_PAGE).text
    section = html.split('class="archiver-similar"')[1].split("</section>")[0]
    assert "The same media elsewhere (2)" in section
    assert REPOST_ID in section and "same file" in section
    assert NEAR_ID in section and "near duplicate" in section
    assert UNRELATED_ID not in section


def test_the_article_copy_difference_is_highlighted(ds):
    html = call(ds, "get", POST_PAGE).text
    assert '<ins class="archiver-diff-post">regional</ins>' in html
    assert '<del class="archiver-diff-article">Northeastern</del>' in html


def test_facets_search_and_canned_queries(ds, archive):
    cookies, token = form_token(ds, signed_in(ds))
    call(ds, "post", "/-/annotate", cookies,
         data={"target": f"media:{archive.photo_sha256}", "kind": "tag", "tag": "recycled",
               "body": "Seen in 2019", "csrftoken": token})  # fmt: skip
    call(ds, "post", "/-/annotate", cookies, data=VERIFY | {"csrftoken": token})

    overview = call(ds, "get", "/archive/posts_overview.json?_facet_array=tags").json()
    facets = overview["facet_results"]
    assert {f["value"]: f["count"] for f in facets["verification"]["results"]} == {
        "unverified": 4,
        "verified": 1,
    }
    assert {f["value"]: f["count"] for f in facets["tags"]["results"]} == {"recycled": 2}
    assert {f["value"] for f in facets["created_at"]["results"]} >= {"2024-08-03", "2024-08-06"}
    assert "platform" in facets and "author_handle" in facets
    tagged = call(
        ds, "get", "/archive/posts_overview.json?tags__arraycontains=recycled&_shape=objects"
    )
    assert {r["post"] for r in tagged.json()["rows"]} == {POST_ID, REPOST_ID}

    def search(q):
        rows = call(ds, "get", f"/archive/search.json?_shape=objects&q={q}").json()["rows"]
        return {(r["found_in"], r["post"]) for r in rows}

    assert search("recompressed") == {("post", NEAR_ID)}
    assert search("skyline") == {("annotation", POST_ID)}
    assert search("2019") == {("annotation", POST_ID)}  # a note on the photo finds its post
    assert ("page", None) in search("Article")
    assert search('"x:1 (') == set() and search("") == set()  # typed text, never FTS syntax
    searched = call(ds, "get", "/archive/posts_overview.json?_search=recycled&_shape=objects")
    assert searched.status_code == 200

    elsewhere = call(ds, "get", "/archive/unverified_media_seen_elsewhere.json?_shape=objects")
    assert {r["post"] for r in elsewhere.json()["rows"]} == {REPOST_ID, NEAR_ID}
    deleted = call(ds, "get", "/archive/posts_deleted_since_capture.json?_shape=objects")
    assert [r["post"] for r in deleted.json()["rows"]] == ["x:666"]


def test_with_a_tsa_an_annotation_saved_in_the_browser_is_sealed(archive):
    import json

    from fake_tsa import FakeTSA

    from archiver.evidence.verify import verify_archive

    with FakeTSA() as tsa:
        settings = archive.settings.with_(tsa_urls=(tsa.url,))
        ds = make_datasette(settings, sign_in={"alice": "alice-token"})
        cookies, token = form_token(ds, signed_in(ds))
        response = call(ds, "post", "/-/annotate", cookies, data=VERIFY | {"csrftoken": token})
        assert response.status_code == 302
    sealed = settings.db_path.with_name(settings.db_path.stem + ".checkpoints.jsonl")
    checkpoint = json.loads(sealed.read_text().splitlines()[-1])
    db = open_db(settings.db_path)
    seq, head = db.execute(
        "select seq, hash from events where target like 'annotation:%' order by seq desc limit 1"
    ).fetchone()
    db.close()
    assert (checkpoint["seq"], checkpoint["head"]) == (seq, head)  # the annotation is anchored
    assert checkpoint["stamps"][0]["status"] == "stamped"
    assert verify_archive(settings).ok
