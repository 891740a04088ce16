"""The evidence report's Keys section (issue 13): per key, its rotation, its state and who can decrypt, as the
latest finding of each stream in the period recorded them, in JSON, Markdown and HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evidence_factory import at, record_streams
from sseguard.evidence.period import compute_period
from sseguard.evidence.render import render_html, render_markdown
from sseguard.evidence.store import History
from sseguard.model import Key, KeyManager, KeyState, Location, SourceKind, Stream

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/reader"},
     "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "kinesis.x"}}},
    {"Sid": "Kinesis", "Effect": "Allow", "Principal": {"Service": "kinesis.amazonaws.com"},
     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}]}


def live_stream(name: str, rotation: bool, days: int | None = None) -> Stream:
    key = Key(KEY_ARN, arn=KEY_ARN, region="eu-west-1", account=ACCOUNT, manager=KeyManager.CUSTOMER,
              state=KeyState.ENABLED, policy=POLICY, rotation=rotation, rotation_period_days=days, grants=())
    return Stream(f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/{name}", "AWS::Kinesis::Stream",
                  Location(SourceKind.AWS, f"aws://{ACCOUNT}/eu-west-1"), "KMS", KEY_ARN, key, region="eu-west-1",
                  account=ACCOUNT, name=name)


def test_the_keys_section_shows_the_latest_rotation_state_and_who_can_decrypt(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    record_streams(db, [live_stream("a", False), live_stream("b", False)], at("2025-03-01 09:00"))
    record_streams(db, [live_stream("a", True, 180), live_stream("b", True, 180)], at("2025-03-02 09:00"))
    with History.open(db) as h:
        report = compute_period(h, dt.date(2025, 3, 1), dt.date(2025, 3, 2), now=at("2025-03-03 08:00"))
    data = report.to_dict()
    assert data["keys"] == [{
        "key": KEY_ARN, "where": "", "manager": "CUSTOMER", "state": "Enabled", "rotation": True,
        "rotation_period_days": 180, "as_of": "2025-03-02T09:00:00.000000Z",
        "streams": [f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/a", f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/b"],
        "decrypt_principals": [
            {"principal": f"arn:aws:iam::{ACCOUNT}:root", "via": "statement 'Root'", "conditions": [],
             "pinned": False, "outside_account": False},
            {"principal": "arn:aws:iam::444455556666:role/reader", "via": "statement 'Partner'",
             "conditions": ['StringEquals kms:ViaService = "kinesis.x"'], "pinned": True, "outside_account": True},
            {"principal": "service:kinesis.amazonaws.com", "via": "statement 'Kinesis'", "conditions": [],
             "pinned": False, "outside_account": False}],
    }]
    markdown = render_markdown(report)
    section = markdown[markdown.index("## Keys"):markdown.index("## Runs")]
    assert section.splitlines()[4:] == [
        "| key | manager | state | rotation | who can decrypt | streams |",
        "|---|---|---|---|---|---|",
        f"| `{KEY_ARN}` | CUSTOMER | Enabled | on, every 180 days | arn:aws:iam::{ACCOUNT}:root via statement 'Root'"
        "<br>arn:aws:iam::444455556666:role/reader via statement 'Partner'; when StringEquals kms:ViaService = "
        "\"kinesis.x\" (pinned); outside the stream's account<br>service:kinesis.amazonaws.com via statement "
        "'Kinesis' | "
        f"`arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/a`, `arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/b` |",
        ""]
    html = render_html(report)
    assert '<h2 id="keys">Keys</h2>' in html
    assert "<li>arn:aws:iam::444455556666:role/reader via statement &#x27;Partner&#x27;; when StringEquals " \
           "kms:ViaService = &quot;kinesis.x&quot; (pinned); outside the stream&#x27;s account</li>" in html


def test_no_key_no_keys_section(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    plain = Stream("aws_kinesis_stream.p", "aws_kinesis_stream", Location(SourceKind.TERRAFORM, "main.tf", 1), "NONE",
                   region="eu-west-1")
    record_streams(db, [plain], at("2025-03-01 09:00"))
    with History.open(db) as h:
        report = compute_period(h, dt.date(2025, 3, 1), dt.date(2025, 3, 1), now=at("2025-03-02 08:00"))
    assert report.to_dict()["keys"] == []
    assert "## Keys" not in render_markdown(report)
