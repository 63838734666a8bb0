"""Citations: each style against a worked example written from its style guide, then the edge
cases (no text, RTL, deleted, TeX specials) and the demo post end to end through `archiver cite`.

The worked examples cite the demo's post (a constructed stand-in for Thomas van Linge's post
of 3 August 2024; see archiver/demo_data/README.md) as captured on 4 August 2024.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, POST_URL, build_demo_archive

from archiver.cli.commands import main
from archiver.evidence.archived import capture_for_target, load_capture
from archiver.evidence.cite import CitedPost, cite, cited_post, split_personal_name
from archiver.store.connection import open_db

TEXT = (
    "#Myanmar 🇲🇲: for the first time in the country’s history the junta has lost control of a "
    "regional command center.\n\n#MNDAA forces raise their flag over the Northeastern regional "
    "command in #Lashio (#Shan state) after seizing the military base. https://t.co/ZY8SlS26sJ"
)
SHA = "8f9a03be3587f67e4f472583daefdc870299f8195dd047ddea99fcc13848611f"
CAPTURE = "20240804T090001000Z-1a2b3c4d"
COPY_URL = f"https://archive.example.org/-/archive/{CAPTURE}"
DEMO = CitedPost(
    author_name="Thomas van Linge", author_handle="ThomasVLinge",
    created_at="2024-08-03T10:05:17Z", text=TEXT, platform="X", platform_id="x",
    url=POST_URL, post_db_id=POST_ID, media_types=["photo"], capture_id=CAPTURE,
    captured_at="2024-08-04T09:00:01.000Z", hash_label="photo", sha256=SHA,
    archive_url=COPY_URL, timestamps=[("Fake TSA", "2024-08-04T09:00:02Z")],
)  # fmt: skip
# The archived copy, as every style names it (our addition: no style guide has a slot for
# a capture's hash, so it follows the style's source element as a parenthetical or note).
FACTS = [
    "archived copy captured 2024-08-04T09:00:01Z",
    f"archive id {CAPTURE}",
    f"photo SHA-256 {SHA}",
    "RFC 3161 timestamp by Fake TSA at 2024-08-04T09:00:02Z",
]
FIRST_20_WORDS = (
    "#Myanmar 🇲🇲: for the first time in the country’s history the junta has lost control "
    "of a regional command center."
)
FULL_ONE_LINE = " ".join(TEXT.split())


def test_apa_worked_example():
    expected = (
        # APA 7 §9.8 + the X post template: individual author inverted with initials
        # ("van" kept with the surname), then the handle in square brackets.
        "van Linge, T. [@ThomasVLinge]. "
        # The specific date of the post: (Year, Month Day).
        "(2024, August 3). "
        # The first 20 words as the title, a hashtag, emoji and URL each counting as one word
        # (italics in the HTML form, emoji excepted).
        f"{FIRST_20_WORDS} "
        # A description of the attached media, then [Post] for an X post.
        "[Image attached] [Post]. "
        # The site name, then the URL with no period after it.
        f"X. {POST_URL} "
        f"({'; '.join(FACTS)}; {COPY_URL})"
    )
    citation = cite(DEMO, "apa")
    assert citation.text == expected
    assert "<i>#Myanmar</i> 🇲🇲: <i>for the first time" in citation.html  # emoji not italic


def test_mla_worked_example():
    expected = (
        # MLA 9: the author's name inverted, the handle in square brackets after it.
        "van Linge, Thomas [@ThomasVLinge]. "
        # The full text of the post as its title, in quotation marks, closed with a period.
        f"“{FULL_ONE_LINE}.” "
        # The platform as container (italic), the date day-month-year with the abbreviated
        # month and the time, then the URL without its scheme.
        "X, 3 Aug. 2024, 10:05 a.m. UTC, x.com/ThomasVLinge/status/1819675899329130543. "
        # The archived copy as a further location, in MLA's comma-separated form.
        f"{', '.join(FACTS)[0].upper()}{', '.join(FACTS)[1:]}, "
        f"archive.example.org/-/archive/{CAPTURE}."
    )
    citation = cite(DEMO, "mla")
    assert citation.text == expected
    assert "<i>X</i>, 3 Aug. 2024" in citation.html


def test_chicago_worked_example():
    excerpt = (
        # CMOS 17 §14.209 (18th ed. §14.106): up to the first 160 characters of the post in
        # place of a title, cut at a word and marked with an ellipsis.
        "#Myanmar 🇲🇲: for the first time in the country’s history the junta has lost control "
        "of a regional command center. #MNDAA forces raise their flag over the…"
    )
    note = (
        # Note: author's name and handle, “text,” platform, date, time, URL.
        f"1. Thomas van Linge (@ThomasVLinge), “{excerpt},” X, August 3, 2024, 10:05 a.m. UTC, "
        f"{POST_URL} ({'; '.join(FACTS)}; {COPY_URL})."
    )
    bibliography = (
        # Bibliography: name inverted, then the same elements separated by periods.
        f"van Linge, Thomas (@ThomasVLinge). “{excerpt}” X, August 3, 2024. {POST_URL}. "
        f"Archived copy captured 2024-08-04T09:00:01Z; {'; '.join(FACTS[1:])}. {COPY_URL}."
    )
    assert len(excerpt) <= 161  # 160 characters and the ellipsis
    assert cite(DEMO, "chicago").text == f"Note: {note}\nBibliography: {bibliography}"


def test_bluebook_worked_example():
    expected = (
        # Bluebook 21st R18.7(a) (social media, under R18.2's internet rules): the author's
        # name as it appears, the handle in parentheses.
        "Thomas van Linge (@ThomasVLinge), "
        # The post's words as its title (R5.3: an omission at a sentence's end is ". . .").
        f"{FIRST_20_WORDS} . . ., "
        # The platform, then the date and time in parentheses (T12 month abbreviations).
        "X (Aug. 3, 2024, 10:05 AM UTC), "
        f"{POST_URL} "
        # R18.2.1(d): the archived copy, in an "archived at" parenthetical.
        f"(archived at {COPY_URL}, captured 2024-08-04T09:00:01Z; {'; '.join(FACTS[1:])})."
    )
    assert cite(DEMO, "bluebook").text == expected


def test_bibtex_worked_example():
    escaped = FULL_ONE_LINE.replace("#", r"\#")
    expected = "\n".join(
        [
            "@misc{ThomasVLinge2024-1819675899329130543,",
            "  author = {Thomas van Linge},",  # BibTeX parses "van" as the von part
            f"  title = {{{escaped}}},",  # TeX specials escaped, UTF-8 kept
            f"  howpublished = {{X post (@ThomasVLinge), \\url{{{POST_URL}}}}},",
            "  year = 2024,",
            "  month = aug,",  # the standard month macro
            "  date = {2024-08-03},",  # biblatex
            f"  url = {{{POST_URL}}},",
            "  urldate = {2024-08-04},",  # the capture is when the URL was read
            # note: the archive id and the hash (the contract for BibTeX).
            f"  note = {{Archived copy captured 2024-08-04T09:00:01Z; {'; '.join(FACTS[1:])}; \\url{{{COPY_URL}}}}},",
            "}",
        ]
    )
    assert cite(DEMO, "bibtex").text == expected


def test_csl_json_worked_example():
    [item] = json.loads(cite(DEMO, "csl-json").text)
    # CSL 1.0.2: type "post"; a personal name split with its particle.
    assert item["type"] == "post"
    assert item["author"] == [
        {"given": "Thomas", "family": "Linge", "non-dropping-particle": "van"}
    ]
    assert item["title"] == FULL_ONE_LINE and item["container-title"] == "X"
    assert item["issued"] == {"date-parts": [[2024, 8, 3]]}
    assert item["URL"] == POST_URL
    # archive / archive_location / accessed: the archived copy and when it was captured.
    assert item["archive"] == "Evidence archive"
    assert item["archive_location"] == COPY_URL
    assert item["accessed"] == {"date-parts": [[2024, 8, 4]]}
    assert CAPTURE in item["note"] and SHA in item["note"]
    assert item["custom"]["sha256"] == SHA and item["custom"]["capture_id"] == CAPTURE


def test_without_a_base_url_the_archive_id_still_names_the_copy():
    bare = replace(DEMO, archive_url=None, timestamps=[])
    for style in ("apa", "mla", "chicago", "bluebook", "bibtex", "csl-json"):
        text = cite(bare, style).text
        assert CAPTURE in text and SHA in text and "2024-08-04T09:00:01Z" in text, style
        assert "archive.example.org" not in text
    assert "(archived copy captured 2024-08-04T09:00:01Z;" in cite(bare, "bluebook").text
    assert json.loads(cite(bare, "csl-json").text)[0]["archive_location"] == f"capture {CAPTURE}"


def test_a_deleted_post_cites_the_archived_copy_and_says_so():
    gone = replace(DEMO, gone_status="deleted", gone_since="2024-09-01T12:00:00.000Z")
    for style in ("apa", "mla", "chicago", "bluebook", "bibtex", "csl-json"):
        text = cite(gone, style).text.lower()
        assert "original deleted: first seen deleted 2024-09-01t12:00:00z" in text, style
        assert COPY_URL.lower().removeprefix("https://") in text, style
    assert json.loads(cite(gone, "csl-json").text)[0]["status"] == "deleted"


def test_a_post_without_text_is_described():
    photo_only = replace(DEMO, text=None)
    # APA: with no words, the bracketed description stands as the title.
    assert cite(photo_only, "apa").text.startswith(
        "van Linge, T. [@ThomasVLinge]. (2024, August 3). [Image attached] [Post]. X. "
    )
    # MLA: an untitled work gets a plain description, neither quoted nor italic.
    assert "[@ThomasVLinge]. Image post. X, 3 Aug. 2024" in cite(photo_only, "mla").text
    assert "title = {[Image attached]}" in cite(photo_only, "bibtex").text
    nothing = replace(DEMO, text="", media_types=[])
    assert "[Post without text] [Post]. X." in cite(nothing, "apa").text


def test_rtl_text_and_a_name_without_capitals_stay_as_written():
    arabic = replace(
        DEMO,
        author_name="مراسل الحرب",
        author_handle="war_reporter",
        text="قوات المعارضة ترفع علمها فوق القيادة الإقليمية في #لاشيو",
        media_types=[],
        hash_label="post JSON",
    )
    apa = cite(arabic, "apa")
    # A script without capitals cannot be inverted reliably: the name stays whole.
    assert apa.text.startswith("مراسل الحرب [@war_reporter]. (2024, August 3). قوات المعارضة")
    assert "<bdi>" in apa.html  # isolated, so the surrounding punctuation keeps its order
    assert json.loads(cite(arabic, "csl-json").text)[0]["author"] == [{"literal": "مراسل الحرب"}]
    assert "post JSON SHA-256" in cite(arabic, "mla").text
    assert "\\_" not in cite(arabic, "bibtex").text.split("author")[1].split("\n")[0]
    assert "(@war\\_reporter)" in cite(arabic, "bibtex").text


def test_bibtex_escapes_tex_specials():
    special = replace(DEMO, text="100% of $5 & more_things {x} ~ ^ \\ #tag")
    title = next(line for line in cite(special, "bibtex").text.splitlines() if "title =" in line)
    assert title == (
        r"  title = {100\% of \$5 \& more\_things \{x\} \textasciitilde{} "
        r"\textasciicircum{} \textbackslash{} \#tag},"
    )


@pytest.mark.parametrize(
    "name, parts",
    [
        ("Thomas van Linge", ("Thomas", "van", "Linge")),
        ("Jean-Paul Sartre", ("Jean-Paul", "", "Sartre")),
        ("APA Databases", None),  # an acronym: an organisation, not a person
        ("Bellingcat", None),
        ("مراسل الحرب", None),
        ("the junta watch", None),
    ],
)
def test_personal_names(name, parts):
    assert split_personal_name(name) == parts


def test_apa_initials_of_a_hyphenated_name():
    sartre = replace(DEMO, author_name="Jean-Paul Sartre", author_handle=None)
    assert cite(sartre, "apa").text.startswith("Sartre, J.-P. (2024, August 3).")


# -- the demo post, end to end ---------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("cite"))


def test_cite_prints_all_six_styles_for_the_demo_post(demo):
    result = CliRunner().invoke(
        main,
        ["cite", POST_URL, "--style", "all", "--base-url", "https://archive.example.org",
         "--db", str(demo.settings.db_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sections = result.output.split("== ")[1:]
    headings = [section.split(" ==")[0] for section in sections]
    assert headings == [
        "APA 7th",
        "MLA 9th",
        "Chicago 17th/18th",
        "Bluebook 21st",
        "BibTeX",
        "CSL-JSON",
    ]
    copy_url = f"archive.example.org/-/archive/{demo.post_capture}"
    for section in sections:
        assert copy_url in section and demo.result.media_sha256s[0] in section, section
        assert "Linge" in section and "ThomasVLinge" in section and "2024" in section
    assert "van Linge, T. [@ThomasVLinge]. (2024, August 3). #Myanmar 🇲🇲:" in result.output


def test_every_target_form_cites_the_same_capture(demo):
    runner = CliRunner()
    outputs = set()
    for target in (POST_ID, POST_URL, demo.post_capture, demo.result.media_sha256s[0]):
        result = runner.invoke(main, ["cite", target, "--json", "--db", str(demo.settings.db_path)])
        assert result.exit_code == 0, result.output
        outputs.add(result.output)
    assert len(outputs) == 1
    cited = json.loads(outputs.pop())
    assert cited["capture_id"] == demo.post_capture and cited["post_id"] == POST_ID


def test_cite_errors_are_one_line(demo):
    runner = CliRunner()
    db = ["--db", str(demo.settings.db_path)]
    missing = runner.invoke(main, ["cite", "x:1", *db])
    assert missing.exit_code == 2 and "nothing in the archive matches" in missing.output
    page = runner.invoke(main, ["cite", demo.page_capture, *db])
    assert page.exit_code == 2 and "not a post" in page.output
    style = runner.invoke(main, ["cite", POST_ID, "--style", "harvard", *db])
    assert style.exit_code == 2
    assert "Traceback" not in missing.output + page.output + style.output


def test_a_post_without_media_is_hashed_by_its_raw_json(demo):
    db = open_db(demo.settings.db_path)
    capture_id, post_id = capture_for_target(db, POST_ID)
    archived = load_capture(db, capture_id)
    db.close()
    archived.post.media = []
    cited = cited_post(archived, post_id)
    assert cited.hash_label == "post JSON"
    assert cited.sha256 == archived.capture["body_sha256"]
