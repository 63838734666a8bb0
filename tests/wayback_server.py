"""The Wayback Machine as the replay server models it: Save Page Now (anonymous and SPN2) and CDX.

Modelled on the Internet Archive's documented answers (no recording of theirs is kept
in the repository): the SPN2 API's JSON (POST /save -> {"url", "job_id"}; GET
/save/status/JOB_ID -> {"status": "pending" | "success" | "error", ...}), the page an
anonymous GET /save/URL answers with (it watches the job: `spn.watchJob("spn2-...")`),
and the CDX API's JSON rows (a header row, then one row a copy). No test reaches
web.archive.org: the archiver's host mapping sends it here.
"""

from __future__ import annotations

import json

from archiver.web.replay import ReplayResponse, ReplayServer

WAYBACK = "https://web.archive.org"
JOB_ID = "spn2-9c1b5d0e8f2a4b7c6d3e1f0a9b8c7d6e5f4a3b2c"
SAVED_AT = "20261207134512"
KEYS = "AbCdEfGh12345678:s3cr3tK3yV4lu3"

# What an anonymous GET /save/URL answers: a page whose script watches the job it started.
SPN_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><title>Wayback Machine</title></head>
<body><div id="spn-result"></div>
<script>
  document.addEventListener("DOMContentLoaded", function(){{
    spn.watchJob("{JOB_ID}", "/_static/", 6000);
  }});
</script></body></html>
"""


def status_json(url: str, state: str = "success") -> dict:
    """GET /save/status/JOB_ID, as SPN2 answers it."""
    if state == "pending":
        return {"job_id": JOB_ID, "resources": [url], "status": "pending"}
    if state == "error":
        return {
            "job_id": JOB_ID, "message": "Live page is not available: 404", "status": "error",
            "status_ext": "error:not-found", "resources": [],
        }  # fmt: skip
    return {
        "counters": {"embeds": 2, "outlinks": 14}, "duration_sec": 6.204, "http_status": 200,
        "job_id": JOB_ID, "original_url": url, "resources": [url], "status": "success",
        "timestamp": SAVED_AT,
    }  # fmt: skip


def serve_status(replay: ReplayServer, url: str, states: list[str]) -> None:
    """The job's status: each poll gets the next of `states`, the last one from then on."""
    answers = list(states)

    def handler(request, http):
        state = answers.pop(0) if len(answers) > 1 else answers[0]
        return ReplayResponse(
            200, {"Content-Type": "application/json"}, json.dumps(status_json(url, state)).encode()
        )

    replay.add(f"{WAYBACK}/save/status/{JOB_ID}", handler=handler)


def serve_anonymous_save(replay: ReplayServer, url: str, states=("success",)) -> None:
    replay.add(f"{WAYBACK}/save/{url}", SPN_PAGE, content_type="text/html; charset=utf-8")
    serve_status(replay, url, list(states))


def serve_keyed_save(replay: ReplayServer, url: str, states=("success",)) -> None:
    def save(request, http):
        if request.headers.get("authorization") != f"LOW {KEYS}":
            body = {
                "message": "Unauthorized",
                "status": "error",
                "status_ext": "error:unauthorized",
            }
            return ReplayResponse(
                401, {"Content-Type": "application/json"}, json.dumps(body).encode()
            )
        body = {"url": request.form.get("url"), "job_id": JOB_ID}
        return ReplayResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    replay.add(f"{WAYBACK}/save", handler=save, method="POST")
    serve_status(replay, url, list(states))


def cdx_rows(url: str, timestamps: list[tuple[str, str]]) -> list[list[str]]:
    """The CDX API's JSON for `url`: [(timestamp, statuscode)] copies, oldest first."""
    key = "com,x)/" + url.split("x.com/", 1)[-1].lower()
    header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    return [header] + [
        [key, ts, url, "text/html", status, "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "10422"]
        for ts, status in timestamps
    ]
