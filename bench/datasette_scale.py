"""Benchmark: the archive's Datasette pages on 1 M posts, against the same SQL run directly in sqlite3.

It generates (once per size and generator version, cached in /tmp/archiver-bench-datasette/,
or at --db) an archive with the product's own schema, FTS tables and indexes: 1 M posts
(with a capture and a version each, and the recorded X post's 3 kB of JSON as each one's
`raw`), 300 k media files linked to posts (with near-duplicate clusters and their
media_matches rows), 100 k annotations, 20 k pages with 50 k embeds; rows are bulk-loaded
with the indexes and full-text triggers dropped, which are then built once (about 2.5 min
for 1 M posts). Then, for each page a user opens,

- the post page:  /archive/posts/x~3A<id>  (a random post with media each time;
                  then one whose media has near duplicates), beside the baseline:
                  Datasette's stock row page of the same post (no plugin, template or
                  metadata of ours; the two take turns, post by post)
- a facet list:   /archive/posts  (the posts table with its facets), and the
                  same filtered by a platform: /archive/posts?platform=<p>
- an FTS search:  /archive/posts?_search=<word>  (words in 0.05-0.5 % of the posts)
- the commonest word: /archive/posts?_search=<the word in most posts>
- every canned query in datasette/metadata.yml: /archive/<query> (the search: for the
                  commonest word), each its own case, named q:<its name's first 13 letters>

it times the page through Datasette (in-process ASGI: no socket, no network),
records every SQL statement Datasette's connections ran for it (SQLite's trace
hook: Datasette's own queries and those the plugins run), runs exactly those
statements on a sqlite3 connection with sqlite3's defaults, and prints p50 and
p95 of both, their ratio and the number of statements. "tuned" is the same statements on a
connection set up as `archiver serve` sets up Datasette's (memory-mapped); "own"
is the page's p50 less that: Datasette's own cost per page, in ms. The last lines are
issue 17's targets: the post page against the stock row page (<= 1.5x at p50 and p95) in
at most 10 statements, every other page within 2x of its SQL at p95, the commonest word
answered within the time limit. The same pages every run (seeded); the archive file is
read into the OS page cache before each case, so neither side's timings include reads
from the disk. --slow lists the queries (Datasette's tracer) slower than 20 ms.

    python bench/datasette_scale.py                       # 1 M posts (generated once), measure
    python bench/datasette_scale.py --posts 100000        # smaller
    python bench/datasette_scale.py --db /tmp/scale.db    # keep (or reuse) the archive there
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import html
import json
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from archive_throughput import cpu_counters, machine, steal_since  # noqa: E402
from datasette import hookimpl  # noqa: E402
from datasette.app import Datasette  # noqa: E402
from datasette.plugins import pm  # noqa: E402
from datasette.tracer import capture_traces  # noqa: E402

from archiver.media.similar import hamming_hex, near_duplicate  # noqa: E402
from archiver.settings import Settings  # noqa: E402
from archiver.store.connection import open_db  # noqa: E402
from archiver.web.serve import make_datasette, tune_connection  # noqa: E402

# Generated archives are kept here, one per generator version and size: change the version
# when the generator or the schema it fills changes.
CACHE = Path("/tmp/archiver-bench-datasette")
GENERATOR_VERSION = 2
PLATFORMS = [("x", 60), ("bluesky", 15), ("mastodon", 10), ("telegram", 5), ("reddit", 5)]
PLATFORMS += [("youtube", 5)]
# The settings `archiver serve` gives Datasette, for the stock baseline.
STOCK_SETTINGS = {"sql_time_limit_ms": 3000, "default_page_size": 50, "suggest_facets": False}
SYLLABLES = [a + b for a in "kmnstrpbdfghjlvwyz" for b in "aeiou"]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def zipf_picker(rng: random.Random, items: list, s: float = 1.1):
    """Pick items with Zipf-like frequencies: a few very common, a long tail."""
    total, cumulative = 0.0, []
    for i in range(len(items)):
        total += 1 / (i + 1) ** s
        cumulative.append(total)
    return lambda k: rng.choices(items, cum_weights=cumulative, k=k)


# Each post's `raw` is the recorded X photo post (3 kB of JSON, as the platform serves it),
# re-keyed: the search and table pages read and sort whole rows, `raw` included, so a
# few bytes of stand-in JSON would flatter them.
RAW_TEMPLATE = json.loads(
    (ROOT / "tests/fixtures/x/syndication/tweet-result_1641086480675225601_photo.json").read_text()
)


def raw_post(post_id: int, text: str, author: str) -> str:
    user = dict(RAW_TEMPLATE["user"], screen_name=author, name=author.title())
    return json.dumps(dict(RAW_TEMPLATE, id_str=str(post_id), text=text, user=user))


def generate(path: Path, posts: int, media: int, annotations: int, pages: int, embeds: int):
    """Write an archive with the product schema and generated rows; bypasses the event log."""
    rng = random.Random(2024)
    open_db(path).close()  # the product's schema, FTS triggers and indexes
    conn = sqlite3.connect(path)
    conn.execute("pragma synchronous = off")
    conn.execute("pragma journal_mode = off")  # rebuilt from scratch if a run is cut short
    deferred = without_indexes_and_triggers(conn)
    words = vocabulary(rng)
    pick_words = zipf_picker(rng, words)
    authors = [f"user{i}" for i in range(50_000)]
    pick_author = zipf_picker(rng, authors, 0.9)
    platforms = [p for p, w in PLATFORMS for _ in range(w)]
    started = time.perf_counter()

    def stamp(i: int) -> str:
        seconds = 1_600_000_000 + i * 90 + rng.randint(0, 80)
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))

    batch = 50_000
    for first in range(0, posts, batch):
        ids = range(first, min(posts, first + batch))
        authors_batch = pick_author(len(ids))
        capture_rows, post_rows, version_rows = [], [], []
        for i, author in zip(ids, authors_batch, strict=True):
            platform = platforms[i % len(platforms)]
            post_id = f"{platform}:{10**17 + i}"
            capture = f"2026{i:012d}Z-{i:08x}"
            text = " ".join(pick_words(rng.randint(8, 40)))
            status = "ok" if i % 40 else ("deleted" if i % 80 else "unavailable")
            created = stamp(i)
            url = f"https://{platform}.example/{author}/status/{10**17 + i}"
            raw = raw_post(10**17 + i, text, author)
            capture_rows.append(
                (capture, url, url, "post", platform, created, created, status, "warcs/a.warc.gz",
                 "0.1.0", post_id)
            )  # fmt: skip
            post_rows.append(
                (post_id, platform, str(10**17 + i), url, author, author.title(), text, created,
                 "en", raw, status, platform, capture, capture)
            )  # fmt: skip
            digest = hashlib.sha256(text.encode()).hexdigest()
            version_rows.append((post_id, capture, digest, text, status, created, "[]"))
        conn.executemany(
            "insert into captures (id, url, final_url, kind, platform, started_at, finished_at,"
            " status, warc_file, tool_version, post_db_id) values (?,?,?,?,?,?,?,?,?,?,?)",
            capture_rows,
        )
        conn.executemany(
            "insert into posts (id, platform, post_id, url, author_handle, author_name, text,"
            " created_at, lang, raw, status, source, first_capture_id, last_capture_id)"
            " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            post_rows,
        )
        conn.executemany(
            "insert into post_versions (post_id, capture_id, content_sha256, text, status,"
            " captured_at, media_sha256s) values (?,?,?,?,?,?,?)",
            version_rows,
        )
        conn.commit()
        print(f"  {min(posts, first + batch):,} posts ({time.perf_counter() - started:.0f} s)")

    def post_of(i: int) -> str:
        return f"{platforms[i % len(platforms)]}:{10**17 + i}"

    generate_media(conn, rng, media, posts, post_of, stamp)
    kinds = ["note", "tag", "verification", "geolocation", "chronolocation"]
    conn.executemany(
        "insert into annotations (target_type, target_id, kind, body, tag, verification,"
        " latitude, longitude, event_time, author, created_at) values (?,?,?,?,?,?,?,?,?,?,?)",
        [
            ("post", post_of(rng.randrange(posts)), kinds[a % 5], " ".join(pick_words(12)),
             f"tag{a % 200}" if a % 5 == 1 else None, "verified" if a % 5 == 2 else None,
             rng.uniform(-60, 60) if a % 5 == 3 else None,
             rng.uniform(-170, 170) if a % 5 == 3 else None,
             stamp(a) if a % 5 == 4 else None, f"analyst{a % 30}", stamp(a))
            for a in range(annotations)
        ],
    )  # fmt: skip
    conn.executemany(
        "insert into captures (id, url, final_url, kind, started_at, status) values (?,?,?,?,?,?)",
        [(f"page-{p}", f"https://news.example/{p}", f"https://news.example/{p}", "page",
          stamp(p), "ok") for p in range(pages)],
    )  # fmt: skip
    conn.executemany(
        "insert into pages (id, capture_id, url, title, text) values (?,?,?,?,?)",
        [(p + 1, f"page-{p}", f"https://news.example/{p}", f"Article {p}",
          " ".join(pick_words(200))) for p in range(pages)],
    )  # fmt: skip
    conn.executemany(
        "insert into embeds (page_id, position, platform, post_url, post_db_id, found_by,"
        " article_text, status) values (?,?,?,?,?,?,?,?)",
        [
            (e % pages + 1, e // pages, "x", f"https://x.example/s/{e}",
             post_of(rng.randrange(posts)), "blockquote", " ".join(pick_words(20)), "archived")
            for e in range(embeds)
        ],
    )  # fmt: skip
    conn.commit()
    restore_indexes_and_triggers(conn, deferred)
    conn.execute("analyze")
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    print(
        f"  generated in {time.perf_counter() - started:.0f} s, {path.stat().st_size / 1e9:.2f} GB"
    )
    return words


def without_indexes_and_triggers(conn: sqlite3.Connection) -> list[str]:
    """Drop the schema's indexes and triggers (FTS upkeep) for a bulk load; their SQL, to restore.

    Maintaining a dozen indexes and three FTS indexes row by row made 1 M posts take minutes
    longer than building each once after the load.
    """
    rows = conn.execute(
        "select type, name, sql from sqlite_master where type in ('index', 'trigger')"
        " and sql is not null"
    ).fetchall()
    for kind, name, _ in rows:
        conn.execute(f"drop {kind} [{name}]")
    return [sql for _, _, sql in rows]


def restore_indexes_and_triggers(conn: sqlite3.Connection, deferred: list[str]) -> None:
    started = time.perf_counter()
    for sql in deferred:
        conn.execute(sql)
    fts = [name for (name,) in conn.execute(
        "select name from sqlite_master where type = 'table' and sql like '%using fts5%'")]  # fmt: skip
    for name in fts:
        conn.execute(f"insert into [{name}]([{name}]) values ('rebuild')")
    conn.commit()
    print(f"  indexes and full-text indexes built in {time.perf_counter() - started:.0f} s")


def generate_media(conn, rng: random.Random, media: int, posts: int, post_of, stamp) -> None:
    """Media files linked to posts, with near-duplicate clusters and their media_matches rows.

    About a tenth of the files come in clusters of 2-6 copies of one picture (re-encoded,
    cropped: up to 24 PDQ bits and 6 pHash bits off the original, so not every pair
    of a cluster is near), and 3 % of the files are also in a second post (a repost).
    Pairs across clusters (random hashes) are left out: for pHash within 8 bits of 64 about
    one random pair in 4e9 is near, a dozen pairs among 300 k files.
    """
    media_rows, link_rows, match_rows = [], [], []
    positions: dict[str, int] = {}

    def link(sha: str, m: int) -> None:
        post = post_of(rng.randrange(posts))
        position = positions.get(post, 0)
        positions[post] = position + 1
        link_rows.append((post, position, sha, f"https://media.example/{m}.jpg", "photo"))

    def flipped(value: int, width: int, most: int) -> int:
        return value ^ sum(1 << b for b in rng.sample(range(width), rng.randint(0, most)))

    m = 0
    while m < media:
        size = min(media - m, rng.randint(2, 6) if rng.random() < 0.03 else 1)
        pdq, phash = rng.getrandbits(256), rng.getrandbits(64)
        cluster = []
        for k in range(size):
            sha = hashlib.sha256(f"media {m}".encode()).hexdigest()
            video = m % 5 == 0
            hashes = (
                f"{flipped(pdq, 256, 24) if k else pdq:064x}",
                100,
                f"{flipped(phash, 64, 6) if k else phash:016x}",
            )
            media_rows.append(
                (sha, "video/mp4" if video else "image/jpeg", rng.randint(50_000, 5_000_000),
                 1280, 720, 15000 if video else None, hashes[2], f"{rng.getrandbits(64):016x}",
                 hashes[0], hashes[1], f"sha256/{sha[:2]}/{sha[2:4]}/{sha}",
                 f"thumbs/{sha[:2]}/{sha}.jpg", f"https://media.example/{m}.jpg", stamp(m))
            )  # fmt: skip
            link(sha, m)
            if rng.random() < 0.03:
                link(sha, m)
            for other, (o_pdq, o_quality, o_phash) in cluster:
                if near_duplicate(hashes[0], hashes[1], o_pdq, o_quality, hashes[2], o_phash):
                    distances = (hamming_hex(hashes[0], o_pdq), hamming_hex(hashes[2], o_phash))
                    match_rows += [(sha, other, *distances), (other, sha, *distances)]
            cluster.append((sha, hashes))
            m += 1
    conn.executemany(
        "insert into media (sha256, mime, bytes, width, height, duration_ms, phash, dhash, pdq,"
        " pdq_quality, blob_path, thumbnail_path, first_url, first_seen_at)"
        " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        media_rows,
    )
    conn.executemany(
        "insert into post_media (post_id, position, sha256, url, type) values (?,?,?,?,?)",
        link_rows,
    )
    conn.executemany(
        "insert into media_matches (sha256, other_sha256, pdq_distance, phash_distance)"
        " values (?,?,?,?)",
        match_rows,
    )
    print(f"  {media:,} media, {len(link_rows):,} links, {len(match_rows):,} media_matches rows")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class StatementRecorder:
    """A plugin recording every SQL statement Datasette's connections to one database run.

    Datasette's tracer sees only `db.execute`; the plugins also read through `execute_fn`
    (annotations, citations), so the statements come from SQLite's own trace hook, with
    their parameters inlined. FTS5's internal statements (nested, or naming the 'main'
    schema in quotes) are left out: running the outer statement again runs them.
    """

    def __init__(self, database: str):
        self.__name__ = "bench_statement_recorder"  # Datasette lists plugins by name
        self.database = database
        self.statements: list[str] | None = None

    @hookimpl
    def prepare_connection(self, conn, database, datasette):
        if database == self.database:
            conn.set_trace_callback(self._record)

    def _record(self, sql: str) -> None:
        if self.statements is not None and not sql.startswith("--") and "'main'." not in sql:
            self.statements.append(sql)


def direct_connection(ds, path: Path, *, tuned: bool) -> sqlite3.Connection:
    """sqlite3 on the archive with the plugins' SQL functions; sqlite3's defaults unless tuned."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    pm.hook.prepare_connection(conn=conn, database=path.stem, datasette=ds)
    conn.set_trace_callback(None)  # the recorder's, which would slow this side
    if tuned:
        tune_connection(conn)  # what `archiver serve` sets on Datasette's connections
    else:
        conn.execute("pragma mmap_size = 0")  # undo any the hooks set
    return conn


def run_statements(conn: sqlite3.Connection, statements: list[str], most_rows: int) -> float:
    """Run the statements, fetching as many rows as Datasette fetches at most; milliseconds."""
    started = time.perf_counter()
    for sql in statements:
        conn.execute(sql).fetchmany(most_rows)
    return (time.perf_counter() - started) * 1000


def warm_file(path: Path) -> float:
    """Read the archive once, so neither side's timings include reads from the disk."""
    started = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass
    return time.perf_counter() - started


HEADER = (
    f"{'page':15} {'datasette p50':>13} {'p95':>7} {'sqlite3 p50':>11} {'p95':>7}"
    f" {'ratio p50':>9} {'p95':>6} {'tuned p50':>9} {'own p50':>9} {'queries':>7}"
)


async def measure(settings: Settings, cases: list[tuple[str, list[str]]], rounds: int, slow: bool):
    database = settings.db_path.stem
    recorder = StatementRecorder(database)
    pm.register(recorder, name="bench-statement-recorder")
    # The baseline: Datasette's own row page of the same posts, with no plugin, template or
    # metadata of ours. Datasette registers a plugins directory's modules for every instance
    # in the process, so the archive's plugins are taken out of the hook manager for each of
    # the baseline's requests; the two take turns, post by post.
    before = set(pm.get_plugins())
    stock = Datasette(files=[str(settings.db_path)], settings=STOCK_SETTINGS)
    ds = make_datasette(settings)
    ours = [(pm.get_name(p), p) for p in pm.get_plugins() if p not in before]
    await ds.invoke_startup()
    with plugins_off(ours):
        await stock.invoke_startup()
    plain = direct_connection(ds, settings.db_path, tuned=False)
    tuned = direct_connection(ds, settings.db_path, tuned=True)
    timers = {"stock row page": CaseTimer(stock, recorder, (plain, tuned), slow, ours)}
    print(HEADER)
    results = {}
    for name, paths in cases:
        warm_file(settings.db_path)  # again: some systems page out file cache idle for a minute
        timers[name] = CaseTimer(ds, recorder, (plain, tuned), slow)
        paired = ["stock row page", name] if name == "post page" else [name]
        for n, path in enumerate(paths[: rounds + 2]):
            for timer in paired:
                await timers[timer].time(path, warm_up=n < 2)
        for timer in paired:
            results[timer] = await timers[timer].report(timer, paths[-1])
    plain.close()
    tuned.close()
    return results


@contextlib.contextmanager
def plugins_off(plugins: list[tuple[str, object]]):
    for name, _ in plugins:
        pm.unregister(name=name)
    try:
        yield
    finally:
        for name, plugin in plugins:
            pm.register(plugin, name=name)


class CaseTimer:
    """One page's timings through one Datasette, and those of the same statements in sqlite3."""

    def __init__(self, ds, recorder, connections, slow: bool, plugins_off=()):
        self.ds, self.recorder, self.connections, self.slow = ds, recorder, connections, slow
        self.plugins_off = list(plugins_off)
        self.page_ms, self.sql_ms, self.tuned_ms, self.counts = [], [], [], []
        self.slow_queries, self.failures = {}, []
        self.counters = cpu_counters()

    async def time(self, path: str, *, warm_up: bool) -> None:
        traces: list[dict] = []
        self.recorder.statements = []
        with (
            plugins_off(self.plugins_off),
            capture_traces(traces) if self.slow else contextlib.nullcontext(),
        ):
            started = time.perf_counter()
            response = await self.ds.client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        statements, self.recorder.statements = self.recorder.statements, None
        if response.status_code != 200:
            detail = re.search(r"border: 3px solid red;\">(.*?)</div>", response.text, re.S)
            why = html.unescape(detail.group(1))[:160] if detail else response.text[:160]
            self.failures.append(f"HTTP {response.status_code}: {why}")
            return
        most_rows = self.ds.setting("max_returned_rows") + 1  # a canned query's page: 1,000
        plain, tuned = self.connections
        direct_ms = run_statements(plain, statements, most_rows)
        direct_tuned_ms = run_statements(tuned, statements, most_rows)
        if warm_up:
            return  # caches, first-time plugin set-up
        self.page_ms.append(elapsed)
        self.sql_ms.append(direct_ms)
        self.tuned_ms.append(direct_tuned_ms)
        self.counts.append(len(statements))
        for q in traces:
            if q.get("database") == self.recorder.database and q["duration_ms"] > 20:
                key = " ".join(q["sql"].split())[:300]
                self.slow_queries[key] = max(self.slow_queries.get(key, 0), q["duration_ms"])

    async def report(self, name: str, last_path: str) -> dict | None:
        """Print the page's line; its figures."""
        if self.failures:
            print(f"{name:15} {len(self.failures)} requests failed: {self.failures[0]}")
        with plugins_off(self.plugins_off):
            timed_out = await facets_timed_out(self.ds, last_path)
        if timed_out:
            print(f"{name:15} facets cut off by Datasette's facet time limit: {timed_out}")
        if not self.page_ms:
            return None
        p50, p95 = percentile(self.page_ms, 0.5), percentile(self.page_ms, 0.95)
        s50, s95 = percentile(self.sql_ms, 0.5), percentile(self.sql_ms, 0.95)
        t50 = percentile(self.tuned_ms, 0.5)
        print(
            f"{name:15} {p50:10.1f} ms {p95:7.1f} {s50:8.1f} ms {s95:7.1f} {p50 / s50:8.2f}x"
            f" {p95 / s95:5.2f}x {t50:6.1f} ms {p50 - t50:6.1f} ms"
            f" {statistics.median(self.counts):7.0f}{steal_since(self.counters)}"
        )
        for sql, ms in sorted(self.slow_queries.items(), key=lambda kv: -kv[1]):
            print(f"      {ms:7.1f} ms  {sql}")
        return {"p50": p50, "p95": p95, "sql p50": s50, "sql p95": s95,
                "statements": max(self.counts), "failures": len(self.failures)}  # fmt: skip


def print_targets(results: dict, limit_ms: int) -> None:
    """The issue's targets, as ratios measured in this run."""
    stock, post = results.get("stock row page"), results.get("post page")
    print()
    if stock and post:
        print(f"ratio, post page / stock row page: p50 {post['p50'] / stock['p50']:.2f}x,"
              f" p95 {post['p95'] / stock['p95']:.2f}x (target <= 1.5x)")  # fmt: skip
    for name in ("post page", "post, near"):
        if results.get(name):
            print(f"statements, {name}: at most {results[name]['statements']} (target <= 10)")
    for name, r in results.items():
        if r and name not in ("stock row page", "post page", "post, near"):
            within = name == "common word" or name.startswith("q:")
            target = f"2x, within the {limit_ms} ms limit" if within else "2x"
            print(f"ratio, {name} / its SQL at p95: {r['p95'] / r['sql p95']:.2f}x"
                  f" (p95 {r['p95']:.0f} ms, {r['failures']} failed; target <= {target})")  # fmt: skip
    if results.get("common word") is None:
        print("common word: no page answered (target: within the time limit)")


async def facets_timed_out(ds, path: str) -> list[str]:
    """The facets a table page dropped because they took longer than facet_time_limit_ms."""
    if "/posts/" in path:
        return []
    response = await ds.client.get(path)
    listed = re.search(r'class="facets-timed-out">These facets timed out: (.*?)</p>', response.text)
    return listed.group(1).split(", ") if listed else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help=f"archive to create (if missing) and measure;"
                        f" by default one cached in {CACHE} per size")  # fmt: skip
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts to generate")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument("--slow", action="store_true", help="list traced queries over 20 ms")
    parser.add_argument("--cases", help="only these pages, comma-separated: post,near,facets,"
                        "filter,search,common,canned (every canned query; the post page always with its baseline)")  # fmt: skip
    parser.add_argument("--before", type=Path, help="also time the canned queries' SQL in this"
                        " file (tests/fixtures/canned/queries_fb5b821.yml) against today's, in sqlite3")  # fmt: skip
    parser.add_argument("--before-rounds", type=int, default=7, help="rounds of --before")
    args = parser.parse_args()
    scale = args.posts / 1_000_000
    counts = dict(
        media=int(300_000 * scale), annotations=int(100_000 * scale),
        pages=max(10, int(20_000 * scale)), embeds=int(50_000 * scale),
    )  # fmt: skip
    print(f"machine: {machine()}")
    path = args.db or CACHE / f"v{GENERATOR_VERSION}-{args.posts}" / "archive.db"
    if not path.exists():
        print(f"generating {args.posts:,} posts, {counts} in {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        building = path.with_name("building.db")  # renamed once complete: never half a cache
        for leftover in path.parent.glob("building.db*"):
            leftover.unlink()
        generate(building, args.posts, **counts)
        building.rename(path)
    if True:
        settings = Settings(db_path=path, blobs_dir=path.parent / "blobs")
        open_db(path).close()  # indexes added since the archive was generated
        print(f"read the archive into the OS page cache in {warm_file(path):.1f} s")
        rng = random.Random(7)
        conn = sqlite3.connect(path)
        total = conn.execute("select count(*) from posts").fetchone()[0]
        # The same pages every run (seeded), so runs can be compared.
        picks = args.rounds + 2
        with_media = rng.sample(
            column(conn, "select post_id from post_media order by rowid"), picks
        )
        with_near = rng.sample(column(conn,
            "select pm.post_id from media_matches mm join post_media pm on pm.sha256 = mm.sha256"
            " order by pm.rowid, mm.other_sha256"), picks)  # fmt: skip
        words = rng.sample(column(conn,
            "select term from posts_fts_vocab where doc between ? and ? order by term",
            [total // 2000, total // 200]), picks) if _has_vocab(conn) else []  # fmt: skip
        commonest = column(conn, "select term from posts_fts_vocab order by doc desc limit 1")
        conn.close()
        print(f"{total:,} posts\n")
        platforms = [p for p, _ in PLATFORMS]
        tilde = lambda post_id: post_id.replace(":", "~3A")  # noqa: E731
        db = path.stem
        cases = [
            ("post page", [f"/{db}/posts/{tilde(p)}" for p in with_media]),
            ("post, near", [f"/{db}/posts/{tilde(p)}" for p in with_near]),
            ("facet list", [f"/{db}/posts?_sort_desc=created_at&_r={n}"
                            for n in range(args.rounds + 2)]),
            ("facet, filter", [f"/{db}/posts?platform={rng.choice(platforms)}"
                               for _ in range(args.rounds + 2)]),
            ("FTS search", [f"/{db}/posts?_search={w}" for w in words]),
            ("common word", [f"/{db}/posts?_search={commonest[0]}&_r={n}"
                             for n in range(args.rounds + 2)]),
        ]  # fmt: skip
        keys = ["post", "near", "facets", "filter", "search", "common"]
        for name in canned_queries():
            keys.append("canned")
            q = f"q={commonest[0]}&" if name == "search" else ""
            cases.append((f"q:{name[:13]}", [f"/{db}/{name}?{q}_r={n}"
                                             for n in range(args.rounds + 2)]))  # fmt: skip
        if args.cases:
            wanted = args.cases.split(",")
            cases = [case for key, case in zip(keys, cases, strict=True) if key in wanted]
        results = asyncio.run(measure(settings, cases, args.rounds, args.slow))
        print_targets(results, STOCK_SETTINGS["sql_time_limit_ms"])
        if args.before:
            compare_before(settings, args.before, commonest[0], args.before_rounds)


def canned_queries(path: Path = ROOT / "datasette" / "metadata.yml") -> dict[str, str]:
    """The canned queries' SQL by name, in the file's order (metadata.yml, or a file of
    `queries:` alone)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    found = data["databases"]["archive"]["queries"] if "databases" in data else data["queries"]
    return {name: query["sql"] for name, query in found.items()}


def compare_before(settings: Settings, before: Path, word: str, rounds: int) -> None:
    """Each canned query's earlier SQL against today's, taking turns, on a connection set up
    as `archiver serve` sets up Datasette's; the first page (1,001 rows) of each."""
    ds = make_datasette(settings)
    conn = direct_connection(ds, settings.db_path, tuned=True)
    print(f"\n{'canned query':31} {'before p50':>10} {'p95':>7} {'now p50':>8} {'p95':>7}"
          f" {'now/before p50':>14}")  # fmt: skip
    for name, (old, new) in zip_queries(canned_queries(before), canned_queries()).items():
        params = {"q": word} if ":q" in new else {}
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(rounds):
            for side, sql in (("old", old), ("new", new)):
                started = time.perf_counter()
                conn.execute(sql, params).fetchmany(ds.setting("max_returned_rows") + 1)
                times[side].append((time.perf_counter() - started) * 1000)
        (b50, b95), (n50, n95) = [(percentile(t, 0.5), percentile(t, 0.95))
                                  for t in times.values()]  # fmt: skip
        print(f"{name:31} {b50:7.1f} ms {b95:7.1f} {n50:5.1f} ms {n95:7.1f} {n50 / b50:13.2f}x")
    conn.close()


def zip_queries(before: dict[str, str], now: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {name: (before[name], sql) for name, sql in now.items() if name in before}


def column(conn: sqlite3.Connection, sql: str, params: list | None = None) -> list:
    return [row[0] for row in conn.execute(sql, params or [])]


def _has_vocab(conn: sqlite3.Connection) -> bool:
    conn.execute(
        "create virtual table if not exists temp.posts_fts_vocab using fts5vocab(main, posts_fts, 'row')"
    )
    return True


if __name__ == "__main__":
    main()
