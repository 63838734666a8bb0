"""Embed discovery: real article pages against their ground truth, the seed text, and the markup kinds."""

from __future__ import annotations

import re

import pytest
from embed_truth import ARTICLES, discovered_targets, load_truth
from recorded import fixture_json, fixture_path

from archiver.discovery.embeds import discover_embeds, discover_in_html, discover_in_text
from archiver.platforms.x import parse_blockquote

TRUTH = load_truth()


def page(name: str) -> str:
    return (ARTICLES / name).read_text("utf-8")


def discover_page(name: str):
    return discover_embeds(page(name), f"https://example.org/{name}")


# --- Real article pages against EMBEDS.json -------------------------------------------


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_article_page_yields_exactly_its_ground_truth(name):
    embeds = discover_page(name)
    assert discovered_targets(embeds) == TRUTH[name]
    # Every embed on these pages names its post: nothing extra hides as "unresolved".
    assert [e for e in embeds if e.post_id is None] == []
    assert [e.position for e in embeds] == list(range(len(embeds)))


def test_ground_truth_covers_every_saved_article_page():
    assert {p.name for p in ARTICLES.glob("*.html")} == set(TRUTH)


def test_page_without_embeds_yields_nothing():
    assert discover_page("negative__postlight__www.cnn.com.html") == []


def test_page_with_only_a_video_yields_no_social_post():
    embeds = discover_page("negative__trafilatura__biathlonword.com-chinesisch.html")
    assert [(e.platform, e.post_id) for e in embeds] == [("youtube", "tMC7TRbxjA4")]


def test_embeds_come_in_document_order():
    html = page("postlight__mashable.com.html")
    in_markup = re.findall(
        r'twitter-tweet">\s*<a[^>]*href="https://twitter\.com/\w+/status/(\d+)', html
    )
    assert len(in_markup) == 12
    assert [e.post_id for e in discover_in_html(html)] == in_markup


def test_article_copy_of_a_tweet_keeps_text_lines_author_and_date():
    [embed] = discover_page("readability__001.html")
    assert embed.platform == "x"
    assert embed.found_by == "blockquote"
    assert embed.post_url == "https://x.com/ironshay/status/370525864523743232"
    assert embed.article_text == (
        "Drinking game for web devs:\n"
        "(1) Think of a noun\n"
        '(2) Google "<noun>.js"\n'
        "(3) If a library with that name exists - drink"
    )
    assert embed.article_author == "Shay Friedman (@ironshay)"
    assert embed.article_date == "August 22, 2013"


def test_dom_and_json_state_copies_of_one_tweet_count_once():
    html = page("fundus__WashingtonPost_2024_04_26.html")
    # The page really holds the tweet twice: rendered, and escaped in __NEXT_DATA__.
    assert '\\u003cblockquote class=\\"twitter-tweet\\"' in html
    [embed] = discover_in_html(html)
    assert embed.post_url == "https://x.com/RyanMatoushWX/status/1783610777993138196"
    assert embed.found_by == "blockquote"
    assert embed.article_text.startswith("Landspout tornado! Northeast Colorado!")
    assert embed.article_author == "Ryan Matoush (@RyanMatoushWX)"


def test_duplicate_copies_keep_first_position_and_the_fuller_text():
    html = """
    <blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/11">&nbsp;</a></blockquote>
    <iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>
    <script>window.state = {"html": "\\u003cblockquote class=\\"twitter-tweet\\"\\u003e\\u003cp\\u003eFull text\\u003c\\/p\\u003e&mdash; A (@a) \\u003ca href=\\"https:\\/\\/twitter.com\\/a\\/status\\/11\\"\\u003eMay 1, 2020\\u003c\\/a\\u003e\\u003c\\/blockquote\\u003e"};</script>
    """
    tweet, video = discover_in_html(html)
    assert (tweet.position, tweet.post_id, video.position) == (0, "11", 1)
    assert tweet.article_text == "Full text"
    assert tweet.article_author == "A (@a)"
    assert tweet.article_date == "May 1, 2020"


def test_tweets_held_escaped_in_json_page_state_are_found():
    embeds = discover_page("fundus__TechCrunch_2024_04_28.html")
    by_id = {e.post_id: e for e in embeds}
    assert set(by_id) == {"1775561750177292371", "1776226330180305035"}
    assert {e.found_by for e in embeds} == {"script-json"}
    tweet = by_id["1775561750177292371"]
    assert tweet.post_url == "https://x.com/pixel8foto/status/1775561750177292371"
    assert tweet.article_text.startswith("Suggest existing @EyeEm users")
    assert tweet.article_author == "Joel Goodman (@pixel8foto)"
    assert tweet.article_date == "April 3, 2024"


def test_embed_code_in_an_entity_escaped_attribute_is_found():
    [embed] = discover_page("trafilatura__familie.de.montessori.html")
    assert (embed.platform, embed.post_id, embed.found_by) == (
        "instagram",
        "B63DdKjgavx",
        "script-json",
    )
    assert embed.post_url == "https://www.instagram.com/p/B63DdKjgavx/"


def test_rendered_tweet_iframes_give_post_ids_without_handles():
    embeds = discover_page("postlight__www.buzzfeed.com--splash.html")
    assert [(e.found_by, e.post_url) for e in embeds] == [
        ("iframe", "https://x.com/i/status/790936002017755136"),
        ("iframe", "https://x.com/i/status/790636031301279744"),
    ]


def test_tiktok_in_json_state_keeps_its_post_url():
    [embed] = discover_page("fundus__ZwanzigMinuten_2025_11_06.html")
    assert embed.post_url == "https://www.tiktok.com/@luciaphoolan/video/7362946149227056416"
    assert embed.found_by == "script-json"


def test_facebook_plugin_iframes_name_the_posts_in_their_href():
    embeds = discover_page("postlight__www.aol.com.html")
    assert [e.post_id for e in embeds] == [
        "10207393772231779",
        "10207375395892382",
        "10207351005242631",
    ]
    assert embeds[0].post_url == "https://www.facebook.com/photo.php?fbid=10207393772231779"


def test_facebook_post_div_keeps_the_article_copy():
    first, _ = discover_page("trafilatura__spoe.at-mieterhoehung.html")
    assert first.post_url == "https://www.facebook.com/Sozialdemokratie/posts/928812574504508"
    assert first.article_text.startswith("In Zeiten explodierender Kosten")
    assert (first.article_author, first.article_date) == ("SPÖ", "Monday, February 7, 2022")


def test_instagram_blockquote_keeps_caption_author_and_date():
    [embed] = discover_page("postlight__www.usmagazine.com.html")
    assert embed.article_text.startswith("At 30 Rockefeller center my charity")
    assert embed.article_author == "xoxo, Gaga (@ladygaga)"
    assert embed.article_date == "Dec 5, 2016 at 9:10am PST"


# --- Not embeds ------------------------------------------------------------------------


def test_links_in_running_text_are_not_embeds():
    html = """<article><p>As <a href="https://twitter.com/u/status/1">this tweet</a> and
    <a href="https://www.instagram.com/p/Ci22crtrcRL/">this post</a> show,
    <a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">a video</a> too.</p>
    <blockquote><p>A plain quotation.</p></blockquote></article>"""
    assert discover_in_html(html) == []


def test_embed_code_shown_as_a_code_sample_is_not_an_embed():
    html = """<p>Paste this:</p><pre><code>&lt;blockquote class="twitter-tweet"&gt;&lt;a
    href="https://twitter.com/u/status/123"&gt;May 1, 2020&lt;/a&gt;&lt;/blockquote&gt;</code></pre>"""
    assert discover_in_html(html) == []


# --- Plain text ------------------------------------------------------------------------


def test_seed_article_text_yields_the_pasted_tweet():
    text = fixture_path("seed", "lashio-article.txt").read_text("utf-8")
    [embed] = discover_embeds(text)
    assert embed.platform == "x"
    assert embed.found_by == "text-signature"
    assert embed.article_author == "Thomas van Linge (@ThomasVLinge)"
    assert embed.article_date == "August 3, 2024"
    assert embed.article_text.startswith("#Myanmar 🇲🇲: for the first time")
    assert "raise their flag over the Northeastern regional command" in embed.article_text
    # Only the tweet's own line: not the article paragraph above it.
    assert "Since late June" not in embed.article_text
    assert (embed.post_url, embed.post_id) == (None, None)
    assert embed.article_links == ["pic.twitter.com/ZY8SlS26sJ"]
    assert embed.short_links == ["https://t.co/ZY8SlS26sJ"]


def test_plain_text_content_type_is_read_as_text_even_with_angle_brackets():
    text = "Rates <b>rose</b>.\nNew high pic.twitter.com/Ab12\n— Ann (@ann) May 2, 2023\n"
    assert discover_embeds(text, content_type="text/html") == []
    [embed] = discover_embeds(text, content_type="text/plain; charset=utf-8")
    assert embed.article_text == "New high pic.twitter.com/Ab12"


@pytest.mark.parametrize("dash", ["—", "–", "-", "&mdash;"])
def test_text_signature_dashes(dash):
    [embed] = discover_in_text(
        f"Intro.\nHello world https://t.co/Xy9\n{dash} Ann Lee (@ann_lee) March 9, 2021\nMore."
    )
    assert embed.article_author == "Ann Lee (@ann_lee)"
    assert embed.article_text == "Hello world https://t.co/Xy9"
    assert embed.short_links == ["https://t.co/Xy9"]


def test_text_signature_with_a_status_url_resolves_the_post():
    [embed] = discover_in_text(
        "Big news\n— Ann (@ann) March 9, 2021 https://twitter.com/ann/status/1369000000000000000\n"
    )
    assert embed.post_url == "https://x.com/ann/status/1369000000000000000"
    assert embed.post_id == "1369000000000000000"
    assert embed.short_links == []


def test_text_with_blank_line_paragraphs_takes_the_whole_tweet_paragraph():
    text = "Article start.\n\nFirst tweet line\nsecond tweet line\n— Ann (@ann) 3 August 2024\n\nArticle end."
    [embed] = discover_in_text(text)
    assert embed.article_text == "First tweet line\nsecond tweet line"
    assert embed.article_date == "3 August 2024"


def test_a_handle_in_prose_without_a_date_is_not_a_signature():
    assert discover_in_text("As one user - Ann (@ann) - put it, things changed.\n") == []


# --- X blockquote parser (reused by the X adapter for oEmbed html) -----------------------


def test_x_blockquote_parser_reads_real_oembed_html():
    html = fixture_json("x", "oembed_publish_twitter_alleyco_1679189879086018562.json")["html"]
    copy = parse_blockquote(html)
    assert copy.text.startswith("We’re a full-service digital agency")
    assert copy.text.endswith("Learn more about our services here:https://t.co/8zZ5zP1Oyc")
    assert (copy.author_name, copy.author_handle, copy.author) == (
        "Alley",
        "alleyco",
        "Alley (@alleyco)",
    )
    assert copy.date == "July 12, 2023"
    assert copy.post_url == "https://x.com/alleyco/status/1679189879086018562"
    assert copy.links == [
        "https://t.co/8zZ5zP1Oyc",
        "https://twitter.com/alleyco/status/1679189879086018562?ref_src=twsrc%5Etfw",
    ]


def test_blockquote_without_status_link_still_yields_an_unresolved_embed():
    html = """<blockquote class="twitter-tweet"><p>Look pic.twitter.com/AbC1
    <a href="https://t.co/Zz9">https://t.co/Zz9</a> and
    <a href="https://twitter.com/other/status/5">a quoted tweet</a></p>&mdash; Ann (@ann)</blockquote>"""
    [embed] = discover_in_html(html)
    assert (embed.platform, embed.post_url, embed.post_id) == ("x", None, None)
    assert embed.article_author == "Ann (@ann)"
    assert set(embed.short_links) == {"https://t.co/Zz9", "https://t.co/AbC1"}


# --- Other platforms' documented markup (no real article page with these was found) -------


def test_lazy_and_privacy_iframes_documented_markup():
    html = """
    <iframe data-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0" src="about:blank"></iframe>
    <iframe src="//player.vimeo.com/video/76979871?h=8272103f6e"></iframe>
    <iframe src="https://www.youtube.com/embed/videoseries?list=PL123"></iframe>
    <iframe src="https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.facebook.com%2FSPD"></iframe>
    """
    embeds = discover_in_html(html)
    assert [(e.platform, e.found_by, e.post_url) for e in embeds] == [
        ("youtube", "iframe", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("vimeo", "iframe", "https://vimeo.com/76979871/8272103f6e"),
        # A playlist player names no post: kept as unresolved, with the reason; the like
        # button is no embed at all.
        ("youtube", "iframe", None),
    ]
    assert "videoseries?list=PL123" in embeds[2].unresolved_reason


def test_bluesky_embed_documented_markup():
    html = """<blockquote class="bluesky-embed"
      data-bluesky-uri="at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k44deefqdk2g"
      data-bluesky-cid="bafyreiecx6dujwoeqpdzl27w67z4h46hyklk3an4i4cvvmioaqb2qbyo5u"><p lang="en">Hey everyone 👋</p>&mdash;
      Bluesky (<a href="https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur?ref_src=embed">@bsky.app</a>)
      <a href="https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k44deefqdk2g?ref_src=embed">Sep 12, 2023 at 11:03 PM</a>
    </blockquote><script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>"""
    [embed] = discover_in_html(html)
    assert embed.platform == "bluesky"
    assert (
        embed.post_url
        == "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k44deefqdk2g"
    )
    assert embed.article_text == "Hey everyone 👋"
    assert embed.article_author == "Bluesky (@bsky.app)"
    assert embed.article_date == "Sep 12, 2023 at 11:03 PM"


def test_mastodon_embed_documented_markup():
    html = """<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@Gargron/113497187538011744/embed">
      <a href="https://mastodon.social/@Gargron/113497187538011744" target="_blank"><div>Post by @Gargron@mastodon.social</div>
      <div>View on Mastodon</div></a></blockquote>
      <script data-allowed-prefixes="https://mastodon.social/" async src="https://mastodon.social/embed.js"></script>
      <iframe src="https://fosstodon.org/@someone/109000000000000001/embed" class="mastodon-embed"></iframe>"""
    assert [(e.platform, e.found_by, e.post_id, e.post_url) for e in discover_in_html(html)] == [
        (
            "mastodon",
            "blockquote",
            "mastodon.social/113497187538011744",
            "https://mastodon.social/@Gargron/113497187538011744",
        ),
        (
            "mastodon",
            "iframe",
            "fosstodon.org/109000000000000001",
            "https://fosstodon.org/@someone/109000000000000001",
        ),
    ]


def test_telegram_widget_documented_markup():
    html = """<script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-post="durov/43"
      data-width="100%"></script>
      <iframe src="https://t.me/telegram/83?embed=1"></iframe>"""
    assert [(e.platform, e.post_id, e.post_url) for e in discover_in_html(html)] == [
        ("telegram", "durov/43", "https://t.me/durov/43"),
        ("telegram", "telegram/83", "https://t.me/telegram/83"),
    ]


def test_threads_embed_documented_markup():
    html = """<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@zuck/post/C8Y0K8UJbGx"
      data-text-post-version="0" id="ig-tp-C8Y0K8UJbGx"><a href="https://www.threads.net/@zuck/post/C8Y0K8UJbGx"
      target="_blank"><div>Post by @zuck</div><div>View on Threads</div></a></blockquote>
      <script async src="https://www.threads.net/embed.js"></script>"""
    [embed] = discover_in_html(html)
    assert (embed.platform, embed.post_id) == ("threads", "C8Y0K8UJbGx")
    assert embed.post_url == "https://www.threads.com/@zuck/post/C8Y0K8UJbGx"


@pytest.mark.parametrize(
    "fixture",
    [
        "reddit_oembed_investing_7pfpeq_reddit-embed-bq.json",
        "reddit_oembed_investing_7pfpeq_reddit-card.json",
    ],
)
def test_reddit_embed_documented_markup_from_real_oembed(fixture):
    [embed] = discover_in_html(fixture_json("reddit", fixture)["html"])
    assert (embed.platform, embed.post_id, embed.found_by) == ("reddit", "7pfpeq", "blockquote")
    assert embed.post_url == "https://www.reddit.com/r/investing/comments/7pfpeq/"
    assert embed.article_text.startswith("Buffett on cyrptocurrencies")


def test_tiktok_embed_from_real_oembed_keeps_caption_and_author():
    [embed] = discover_in_html(
        fixture_json("tiktok", "tiktok_oembed_a3noticias_6806030056956251397.json")["html"]
    )
    assert embed.post_url == "https://www.tiktok.com/@a3noticias/video/6806030056956251397"
    assert embed.article_text.startswith("Nuestro #AplausoSanitario más sincero.")
    assert embed.article_author == "@a3noticias"


def test_tweet_wrapped_whole_in_one_paragraph_keeps_its_status_link():
    html = """<blockquote class="twitter-tweet"><p>Rain again — Ann (@ann)
    <a href="https://twitter.com/ann/status/77">May 1, 2020</a></p></blockquote>"""
    [embed] = discover_in_html(html)
    assert embed.post_url == "https://x.com/ann/status/77"
    assert (embed.article_text, embed.article_author, embed.article_date) == (
        "Rain again",
        "Ann (@ann)",
        "May 1, 2020",
    )


def test_copy_without_status_link_merges_with_a_copy_that_names_the_post():
    stripped = '<blockquote class="twitter-tweet"><p>Same words</p>&mdash; Ann (@ann)</blockquote>'
    rendered = '<iframe src="https://platform.twitter.com/embed/Tweet.html?id=42"></iframe>'
    full = '<blockquote class="twitter-tweet"><p>Same words</p>&mdash; Ann (@ann) <a href="https://twitter.com/ann/status/42">May 1, 2020</a></blockquote>'
    [embed] = discover_in_html(stripped + rendered + full)
    assert (embed.post_url, embed.article_text, embed.article_date) == (
        "https://x.com/ann/status/42",
        "Same words",
        "May 1, 2020",
    )
    assert embed.short_links == []


def test_two_posts_with_the_same_text_stay_two():
    html = "".join(
        f'<blockquote class="twitter-tweet"><p>lol</p>&mdash; A (@a) <a href="https://twitter.com/a/status/{i}">May {i}, 2020</a></blockquote>'
        for i in (1, 2)
    )
    assert [e.post_id for e in discover_in_html(html)] == ["1", "2"]


def test_amp_and_custom_element_embeds_documented_markup():
    html = """<amp-twitter data-tweetid="885634330868850689" width="375" height="472"></amp-twitter>
      <amp-instagram data-shortcode="fBwFP" width="400" height="400"></amp-instagram>
      <lite-youtube videoid="dQw4w9WgXcQ"></lite-youtube>"""
    assert [(e.platform, e.post_url) for e in discover_in_html(html)] == [
        ("x", "https://x.com/i/status/885634330868850689"),
        ("instagram", "https://www.instagram.com/p/fBwFP/"),
        ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ]


def test_embed_code_in_a_template_script_is_found_but_a_commented_out_one_is_not():
    html = """<!-- <blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/9">May 1, 2020</a></blockquote> -->
      <script type="text/template"><blockquote class="tiktok-embed" cite="https://www.tiktok.com/@a/video/7000000000000000001"></blockquote></script>"""
    assert [(e.platform, e.found_by, e.post_id) for e in discover_in_html(html)] == [
        ("tiktok", "script-json", "7000000000000000001")
    ]


def test_an_escape_past_the_last_code_point_does_not_stop_discovery():
    script = (
        '<script>var s = "\\u{FFFFFF}<blockquote class=\\"twitter-tweet\\"></blockquote>";</script>'
    )
    assert discover_in_html(f"<html><body>{script}</body></html>") is not None


def test_links_that_cannot_be_split_are_kept_as_text_not_followed_into_a_crash():
    page = (
        '<blockquote class="twitter-tweet"><p>x <a href="http://[x/">l</a></p>&mdash; A (@a)'
        ' <a href="http://[::1">Aug 3, 2024</a></blockquote><iframe src="http://[x"></iframe>'
        '<a href="https://x.com:99999999999/a/status/1">p</a>'
    )
    [embed] = discover_in_html(page, "https://news.example/a")
    assert (embed.post_url, embed.article_links) == (None, ["http://[x/", "http://[::1"])
