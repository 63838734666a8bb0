"""The `archiver` command as a user runs it: output, --json, exit statuses, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from factories import jpeg_bytes
from recorded import fixture_path, serve_syndication
from request_gate import Gate, spaced_from

from archiver.cli.commands import main
from archiver.web.replay import ReplayResponse

PHOTO_ID = "1641086480675225601"


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def archive_args(settings, *extra):
    return [
        "archive",
        "--db",
        str(settings.db_path),
        "--blobs",
        str(settings.blobs_dir),
        "--connect-to",
        f"*={settings.connect_to['*']}",
        *extra,
    ]


def serve_photo_post(replay) -> None:
    """The recorded X photo post (PHOTO_ID) and a photo for it."""
    serve_syndication(replay, PHOTO_ID, "tweet-result_1641086480675225601_photo.json")
    replay.add(
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig",
        jpeg_bytes(1),
        content_type="image/jpeg",
    )


def test_json_prints_one_object_per_url_and_failures_exit_1(replay, settings):
    serve_photo_post(replay)
    serve_syndication(replay, "1300000000000000000", b"", status=500)
    replay.add("https://publish.twitter.com/oembed", b"", status=500)

    result = run(
        archive_args(
            settings,
            "--retries",
            "0",
            "--json",
            "-q",
            f"https://x.com/SamuelSusla/status/{PHOTO_ID}",
            "https://x.com/u/status/1300000000000000000",
        )
    )

    assert result.exit_code == 1
    # Lines come as each URL finishes, so they are matched by URL.
    lines = {r["url"].rsplit("/", 1)[-1]: r for r in map(json.loads, result.stdout.splitlines())}
    good, bad = lines[PHOTO_ID], lines["1300000000000000000"]
    assert (good["status"], bad["status"]) == ("ok", "error")
    assert good["post_ids"] == [f"x:{PHOTO_ID}"] and len(good["media_sha256s"]) == 1
    assert good["capture_id"]
    assert "HTTP 500" in bad["error"]


def test_human_output_names_the_post_and_its_embeds(replay, settings):
    replay.redirect(
        "https://t.co/ZY8SlS26sJ",
        "https://twitter.com/ThomasVLinge/status/1819675899329130543/photo/1",
    )
    from test_archive import serve_lashio

    serve_lashio(replay)
    result = run(archive_args(settings, str(fixture_path("seed", "lashio-article.txt"))))
    assert result.exit_code == 0, result.output
    assert "embed 0: x x:1819675899329130543 via text-signature: archived" in result.stdout
    assert "archiving" in result.stderr  # progress goes to stderr


@pytest.mark.parametrize(
    "target,message",
    [
        ("ftp://example.com/file", "not an http(s) URL"),
        ("does/not/exist.html", "no such file: does/not/exist.html\n"),
        ("https://", "not an http(s) URL"),
        ("https://exa mple.com/", "not a host name: 'exa mple.com'"),
        (
            "x.com/ThomasVLinge/status/1819675899329130543",
            "no such file: x.com/ThomasVLinge/status/1819675899329130543 (if it is a URL, give"
            " its scheme: https://x.com/ThomasVLinge/status/1819675899329130543)",
        ),
        ("htps//x.com/foo", "no such file: htps//x.com/foo (a URL starts with https://"),
        ("https://[::1/", "not a valid URL: 'https://[::1/'"),
    ],
)
def test_bad_targets_are_usage_errors(settings, target, message):
    result = run(archive_args(settings, target))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output + result.stderr
    assert not settings.db_path.exists()  # nothing was started


def test_bad_connect_to_is_a_usage_error(tmp_path):
    result = run(
        [
            "archive",
            "--db",
            str(tmp_path / "a.db"),
            "--connect-to",
            "nonsense",
            "https://x.com/u/status/1",
        ]
    )
    assert result.exit_code == 2 and "HOST=BASE_URL" in result.stderr


@pytest.mark.parametrize(
    "args,env,message",
    [
        (["--delay", "nan"], {}, "'nan' is not a number of seconds"),
        (["--delay", "inf"], {}, "--delay"),
        ([], {"ARCHIVER_DELAY": "inf"}, "ARCHIVER_DELAY must be a number of seconds from 0 to 60"),
        ([], {"ARCHIVER_DELAY": "nan"}, "ARCHIVER_DELAY must be a number of seconds from 0 to 60"),
    ],
)
def test_a_delay_that_is_no_number_of_seconds_is_a_usage_error(settings, args, env, message):
    # nan compares false with everything: taken as a delay, it silently turned politeness off.
    result = run(archive_args(settings, *args, "https://x.com/u/status/1"), env=env)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output + result.stderr
    assert not settings.db_path.exists()


def test_environment_host_mapping_is_used(replay, settings):
    serve_syndication(
        replay, "2023357708301455483", "tweet-result_2023357708301455483_text_only.json"
    )
    env = {
        "ARCHIVER_CONNECT_TO": f"*={replay.base_url}",
        "ARCHIVER_DB": str(settings.db_path),
        "ARCHIVER_BLOBS": str(settings.blobs_dir),
    }
    result = run(
        ["archive", "--json", "https://x.com/jarredsumner/status/2023357708301455483"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["post_ids"] == ["x:2023357708301455483"]


def test_embeds_lists_without_archiving(replay, tmp_path, monkeypatch):
    replay.redirect(
        "https://t.co/ZY8SlS26sJ",
        "https://twitter.com/ThomasVLinge/status/1819675899329130543/photo/1",
    )
    monkeypatch.chdir(tmp_path)
    result = run(
        [
            "embeds",
            "--json",
            "--connect-to",
            f"*={replay.base_url}",
            str(fixture_path("seed", "lashio-article.txt")),
        ]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert len(found) == 1
    assert found[0]["post_url"] == "https://x.com/ThomasVLinge/status/1819675899329130543"
    assert found[0]["found_by"] == "text-signature"
    assert "raise their flag" in found[0]["article_text"]
    assert list(tmp_path.iterdir()) == []  # no database, no blobs


def test_embeds_on_a_real_page(replay, tmp_path):
    page = "https://www.timesofisrael.com/washington/"
    replay.add(
        page,
        fixture_path("articles", "trafilatura__timesofisrael.com.washington.html"),
        content_type="text/html",
    )
    result = run(["embeds", "--json", "--no-resolve", "--connect-to", f"*={replay.base_url}", page])
    assert result.exit_code == 0, result.output
    ids = sorted(e["post_id"] for e in json.loads(result.stdout))
    assert ids == ["1214239528954712064", "1214387633146564608"]


def _slow(body: bytes, gate: Gate):
    def handler(request, http):
        with gate:
            time.sleep(0.25)
        return ReplayResponse(200, {"Content-Type": "image/jpeg"}, body)

    return handler


def _serve_photo_variants(replay, count: int, gate: Gate) -> list[str]:
    """The real photo response re-keyed to `count` post ids (a synthetic list for bulk runs);
    their photos are answered through `gate`."""
    recorded = json.loads(
        fixture_path("x", "syndication", "tweet-result_1641086480675225601_photo.json").read_text()
    )
    ids = [str(1741086480675225601 + i) for i in range(count)]
    for i, post_id in enumerate(ids):
        variant = dict(recorded, id_str=post_id)
        variant["mediaDetails"] = [
            dict(
                recorded["mediaDetails"][0],
                media_url_https=f"https://pbs.twimg.com/media/Bulk{i}.jpg",
            )
        ]
        serve_syndication(replay, post_id, json.dumps(variant).encode())
        replay.add(
            f"https://pbs.twimg.com/media/Bulk{i}?format=jpg&name=orig",
            handler=_slow(jpeg_bytes(seed=200 + i), gate),
        )
    return ids


def test_a_list_is_archived_concurrently_with_a_summary(replay, settings, tmp_path):
    gate = Gate(together=4)  # each photo is held until four are asked for at once
    ids = _serve_photo_variants(replay, 8, gate)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(f"https://x.com/SamuelSusla/status/{i}" for i in ids) + "\n# done\n")
    result = run(
        archive_args(settings, "--input", str(urls), "--concurrency", "4", "--delay", "0", "--json")
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(p for r in lines for p in r["post_ids"]) == sorted(f"x:{i}" for i in ids)
    assert "done 8, failed 0, skipped 0" in result.stderr
    # Eight media downloads, four at a time (and never more): --concurrency is what runs at once.
    assert gate.entered == 8 and gate.most == 4


def test_politeness_delay_spaces_requests_to_one_host(replay, settings, tmp_path):
    ids = _serve_photo_variants(replay, 3, Gate(together=1))
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(f"https://x.com/SamuelSusla/status/{i}" for i in ids))
    started = time.monotonic()
    result = run(
        archive_args(settings, "--input", str(urls), "--concurrency", "3", "--delay", "0.5", "-q")
    )
    assert result.exit_code == 0, result.output
    # Starts 0.5 s apart: the k-th request to the host cannot arrive before k half-seconds.
    times = [r.at for r in replay.requested("cdn.syndication.twimg.com")]
    assert len(times) == 3 and spaced_from(started, times, 0.5)


@pytest.mark.parametrize("module", ["archiver", "archiver.cli"])
def test_every_command_runs_under_python_m(module, tmp_path):
    # `-m archiver.cli` runs the package's __main__: every command, kept in its own module,
    # must be on the group it runs.
    listed = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    for command in ("archive", "embeds", "annotate", "annotations", "cite", "export", "verify",
                    "serve", "demo"):  # fmt: skip
        assert f"  {command} " in listed.stdout
    missing = tmp_path / "missing.db"
    verify = subprocess.run(
        [sys.executable, "-m", module, "verify", "--db", str(missing)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (verify.returncode, verify.stderr) == (2, f"Error: no archive at {missing}\n")


def test_a_bad_line_in_a_list_is_named_by_its_line_and_nothing_is_archived(settings, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# tonight's list\nhttps://x.com/a/status/1\n\ngarbage here\nftp://x.com/b\n", "utf-8"
    )

    result = run(archive_args(settings, "--input", str(urls)))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {urls}, line 4: no such file: garbage here",
        f"{urls}, line 5: not an http(s) URL: 'ftp://x.com/b'",
    ]
    assert not settings.db_path.exists()


def test_a_list_of_hostile_lines_is_refused_line_by_line_without_a_traceback(settings, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_bytes(
        b"https://x.com/a/status/1\n"
        b"\xff\xfe not UTF-8\n"
        b"https://x.com/a\tb/status/2\n"  # urlsplit would silently drop the tab
        b"https://x.com/a/status/3\x00\n" + b"https://x.com/" + b"a" * 20_000 + b"\n"
        b"https://x.com/a/status/4\n"
    )

    result = run(archive_args(settings, "--input", str(urls)))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {urls}, line 2: not UTF-8 text",
        f"{urls}, line 5: longer than 16,384 bytes",
        f"{urls}, line 3: a control character ('\\t') in the URL 'https://x.com/a\\tb/status/2'",
        f"{urls}, line 4: a control character ('\\x00') in the URL 'https://x.com/a/status/3\\x00'",
    ]
    assert not settings.db_path.exists()


def test_an_endless_line_is_not_read_into_memory(settings):
    result = subprocess.run(
        [sys.executable, "-m", "archiver", *archive_args(settings, "--input", "/dev/zero")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "line 1: longer than 16,384 bytes" in result.stderr
    assert "no line break for 1 MiB after line 1: not a list of URLs" in result.stderr
    assert "Traceback" not in result.stderr


def test_blobs_default_to_beside_the_database(replay, tmp_path, monkeypatch):
    serve_photo_post(replay)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    db = tmp_path / "case" / "archive.db"
    url = f"https://x.com/someone/status/{PHOTO_ID}"

    archived = run(["archive", "--db", str(db), "--connect-to", f"*={replay.base_url}", url])
    verified = run(["verify", "--db", str(db)])

    assert archived.exit_code == 0, archived.output
    assert (tmp_path / "case" / "blobs" / "sha256").is_dir()
    assert not (elsewhere / "blobs").exists()
    assert verified.exit_code == 0 and "OK: the archive is as it was captured." in verified.output


def test_verify_names_a_missing_blob_store_instead_of_every_file(settings, tmp_path, replay):
    serve_photo_post(replay)
    assert run(archive_args(settings, f"https://x.com/someone/status/{PHOTO_ID}")).exit_code == 0
    wrong = tmp_path / "nowhere"

    result = run(["verify", "--db", str(settings.db_path), "--blobs", str(wrong)])

    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: no blob store at {wrong}: give --blobs DIR (or set ARCHIVER_BLOBS) where this"
        " archive's files are\n"
    )


def test_cite_json_nests_csl_json_as_data(settings, replay):
    serve_photo_post(replay)
    assert run(archive_args(settings, f"https://x.com/someone/status/{PHOTO_ID}")).exit_code == 0

    cite = ["cite", f"x:{PHOTO_ID}", "--db", str(settings.db_path), "--json", "--style"]

    both = json.loads(run([*cite, "all"]).output)["citations"]
    alone = json.loads(run([*cite, "csl-json"]).output)["citations"]

    assert both["csl-json"][0]["id"] and isinstance(both["apa"], str)
    assert alone == {"csl-json": both["csl-json"]}
