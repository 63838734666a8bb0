"""A signed WACZ: `archiver export --wacz --signing-url` through Webrecorder's own signing server
(authsign, run locally with a test certificate and the fake TSA), checked by `wacz validate
--verify-auth` against that server's verifier; and the chain's head travels in the package."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from evidence_archive import build_demo_archive
from fake_tsa import FakeTSA
from wacz_signer import DOMAIN, LocalSigner
from warcio.archiveiterator import ArchiveIterator

from archiver.cli.commands import main
from archiver.store.connection import open_db


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    with (
        FakeTSA(leaf_first=True) as tsa,
        LocalSigner(tmp_path_factory.mktemp("authsign"), tsa) as s,
    ):
        yield s


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("signed-demo"))


def export(demo, out, *args: str):
    return CliRunner().invoke(
        main,
        ["export", "--wacz", str(out), *args, "--db", str(demo.settings.db_path),
         "--blobs", str(demo.settings.blobs_dir)],
    )  # fmt: skip


def validate(path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(path), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_signed_wacz_validates_and_its_signature_checks(demo, signer, tmp_path):
    out = tmp_path / "signed.wacz"
    result = export(
        demo, out, "--signing-url", signer.url + "/sign", "--signing-token", signer.token
    )
    assert result.exit_code == 0, result.output
    assert f"signed by {DOMAIN}" in result.output
    with zipfile.ZipFile(out) as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
    signed = digest["signedData"]
    assert signed["domain"] == DOMAIN and signed["hash"] == digest["hash"]
    assert signed["timeSignature"] and signed["timestampCert"]  # the RFC 3161 stamp rides along
    check = validate(out, "--verify-auth", "--verifier-url", signer.url + "/verify")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Successfully verified signature" in check.stdout


def test_a_changed_datapackage_breaks_the_signature(demo, signer, tmp_path):
    out = tmp_path / "signed.wacz"
    assert export(demo, out, "--signing-url", signer.url + "/sign", "--signing-token",
                  signer.token).exit_code == 0  # fmt: skip
    forged = tmp_path / "forged.wacz"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            if item.filename == "datapackage-digest.json":
                continue
            data = src.read(item)
            if item.filename == "datapackage.json":
                package = json.loads(data)
                package["title"] = "Forged"  # e.g. to swap a resource's listed hash
                data = json.dumps(package).encode()
                forged_hash = "sha256:" + hashlib.sha256(data).hexdigest()
            dst.writestr(item, data)
        # A forger re-hashes the edited datapackage.json; the signature is over the old hash.
        digest = json.loads(src.read("datapackage-digest.json"))
        digest["hash"] = digest["signedData"]["hash"] = forged_hash
        dst.writestr("datapackage-digest.json", json.dumps(digest))
    check = validate(forged, "--verify-auth", "--verifier-url", signer.url + "/verify")
    # `wacz validate` exits 0 even for an invalid package (wacz 0.6): read what it says.
    assert "Signature not verified" in check.stdout, check.stdout
    assert "Successfully verified signature" not in check.stdout


def test_a_refused_signature_is_an_error_not_an_unsigned_file(demo, signer, tmp_path):
    out = tmp_path / "refused.wacz"
    result = export(demo, out, "--signing-url", signer.url + "/sign", "--signing-token", "wrong")
    assert result.exit_code != 0
    assert f"the signing server at {signer.url}/sign did not sign the WACZ" in result.output
    assert "Invalid auth token" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_the_package_carries_the_chain_head_and_checkpoints(demo, tmp_path):
    with FakeTSA() as tsa:
        seal = CliRunner().invoke(
            main, ["seal", "--db", str(demo.settings.db_path), "--tsa", tsa.url]
        )
        assert seal.exit_code == 0, seal.output
    out = tmp_path / "plain.wacz"
    assert export(demo, out).exit_code == 0
    with zipfile.ZipFile(out) as wacz:
        warc = wacz.read(next(n for n in wacz.namelist() if n.startswith("archive/")))
    records = [
        (r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "metadata"
    ]
    uri, body = records[-1]
    assert uri == "urn:archiver:chain-head"
    carried = json.loads(body)
    db = open_db(demo.settings.db_path)
    # The head when the package was made: the export's own event comes after it.
    seq, head = db.execute(
        "select seq, hash from events where action != 'export' order by seq desc limit 1"
    ).fetchone()
    checkpoint = carried["checkpoints"][-1]
    # The checkpoint anchors the head before it (sealing is itself an event).
    sealed = db.execute("select hash from events where seq = ?", [checkpoint["seq"]]).fetchone()
    db.close()
    assert carried["chain_head"] == {"seq": seq, "hash": head}
    assert checkpoint["seq"] == seq - 1 and checkpoint["head"] == sealed[0]
    assert (
        checkpoint["stamps"][0]["status"] == "stamped" and checkpoint["stamps"][0]["response_b64"]
    )
