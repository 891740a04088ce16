"""Inputs that are broken in every way: each is reported as an error with its file (and line when there is one),
never a traceback, and every stream that can still be read is judged. A stream whose block cannot be read is
unknown, never missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import TF, scan, write

ROBUST = TF / "robustness"
GOOD_STREAM = """resource "aws_kinesis_stream" "good" {
  name            = "good"
  encryption_type = "KMS"
  kms_key_id      = "alias/good"
}
"""


def test_streams_beside_a_broken_file_are_still_judged() -> None:
    run = scan(ROBUST / "broken")
    assert run.addresses() == ["aws_kinesis_stream.bad_in_good_file", "aws_kinesis_stream.before_error",
                               "aws_kinesis_stream.good"]
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "good.tf", 1)
    assert run.verdict("aws_kinesis_stream.bad_in_good_file") == ("fail", "KSSE001", [], "good.tf", 8)
    # the stream before the syntax error parses, but Terraform reads none of its file: it is not judged on it
    assert run.verdict("aws_kinesis_stream.before_error") == ("unknown", "KSSE020", [], "broken.tf", 1)
    assert run.finding("aws_kinesis_stream.before_error")["message"] == (
        "the block cannot be read (broken.tf:1: its file has a syntax error at line 9); to resolve: fix the syntax "
        "error (terraform validate shows it)")
    assert run.exit_code == 1


def test_a_syntax_error_is_reported_with_its_file_and_line() -> None:
    run = scan(ROBUST / "broken")
    assert run.errors == [{"location": "broken.tf", "line": 9,
                           "message": "syntax error; Terraform reads none of this file, so nothing in it decides "
                                      "a verdict"}]



def test_in_a_large_tree_only_what_streams_need_is_parsed_unless_full_parse(tmp_path: Path) -> None:
    # From 1 MiB of configuration on, blocks are parsed only when a stream needs them (the documented trade-off for
    # speed): a syntax error in a block no stream reads is seen only with --full-parse, and only then does it make
    # the streams of its file unknown.
    for source in (ROBUST / "broken").iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    with (tmp_path / "filler.tf").open("w", encoding="utf-8") as fh:
        for i in range(22_000):
            fh.write(f'resource "aws_sqs_queue" "q{i}" {{\n  name = "q{i}"\n}}\n\n')
    assert (tmp_path / "filler.tf").stat().st_size > 1024 * 1024
    fast = scan(tmp_path)
    full = scan(tmp_path, args=["--full-parse"])
    assert fast.verdict("aws_kinesis_stream.before_error") == ("fail", "KSSE002", [], "broken.tf", 1)
    assert full.verdict("aws_kinesis_stream.before_error") == ("unknown", "KSSE020", [], "broken.tf", 1)
    assert ("broken.tf", 9) not in fast.error_lines()
    assert ("broken.tf", 9) in full.error_lines()

def test_a_syntax_error_inside_a_stream_block_is_reported_within_the_block() -> None:
    # the string opened on line 9 is never closed; tree-sitter reads on to the next quote (line 11) before it
    # fails, so the line reported is where the parser gave up, inside the block
    run = scan(ROBUST / "swallowed_inside")
    [(location, line)] = run.error_lines()
    assert location == "main.tf"
    assert line is not None and 9 <= line <= 13


def test_a_stream_block_with_a_syntax_error_is_unknown() -> None:
    run = scan(ROBUST / "swallowed_inside")
    assert run.verdict("aws_kinesis_stream.fine") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.swallowed") == ("unknown", "KSSE020", [], "main.tf", 8)
    finding = run.finding("aws_kinesis_stream.swallowed")
    assert finding["message"].startswith("the block has a syntax error (main.tf:8-")
    assert finding["message"].endswith("; to resolve: fix the syntax error (terraform validate shows it)")


def test_a_stream_swallowed_by_an_unclosed_block_is_unknown_never_missing() -> None:
    # a missing closing brace: the parser takes the rest of the file into the sqs block, so neither stream can
    # be read; both are unknown and the syntax error is reported
    run = scan(ROBUST / "swallowed_by_previous")
    assert run.addresses() == ["aws_kinesis_stream.after", "aws_kinesis_stream.swallowed"]
    assert run.verdict("aws_kinesis_stream.swallowed") == ("unknown", "KSSE020", [], "main.tf", 4)
    assert run.verdict("aws_kinesis_stream.after") == ("unknown", "KSSE020", [], "main.tf", 11)
    assert run.finding("aws_kinesis_stream.swallowed")["message"].startswith("the block could not be parsed")
    assert [loc for loc, _ in run.error_lines()] == ["main.tf"]


def test_invalid_tf_json_is_an_error_with_its_line_and_the_other_file_is_judged() -> None:
    run = scan(ROBUST / "json_broken")
    assert run.errors == [{"location": "streams.tf.json", "line": 6,
                           "message": "invalid JSON: Expecting property name enclosed in double quotes (column 7)"}]
    assert run.verdict("aws_kinesis_stream.json_good") == ("pass", "KSSE000", [], "main.tf.json", 4)
    assert run.exit_code == 0


def test_a_stream_in_an_invalid_tf_json_file_is_unknown_never_missing() -> None:
    run = scan(ROBUST / "json_broken")
    assert run.verdict("aws_kinesis_stream.x") == ("unknown", "KSSE020", [], "streams.tf.json", 4)


def test_an_empty_file_is_no_error() -> None:
    run = scan(ROBUST / "empty")
    assert run.verdict("aws_kinesis_stream.beside_empty") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.errors == []
    assert sorted(i["location"] for i in run.report["inputs"]) == ["empty.tf", "main.tf"]


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": GOOD_STREAM,
        "binary.tf": b'resource "aws_kinesis_stream" "bin" {\0\1\2 }\n',
        "latin1.tf": b'# caf\xe9\nresource "aws_kinesis_stream" "latin" {\n  name = "caf\xe9"\n}\n',
    })
    run = scan(tmp_path)
    # a stream declared in a file that cannot be read is unknown, never missing: one NUL byte in a configuration
    # file does not make the rest of it something else
    assert run.addresses() == ["aws_kinesis_stream.bin", "aws_kinesis_stream.good", "aws_kinesis_stream.latin"]
    assert run.verdict("aws_kinesis_stream.bin") == ("unknown", "KSSE020", [], "binary.tf", 1)
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.latin") == ("unknown", "KSSE020", [], "latin1.tf", 2)
    assert run.errors == [
        {"location": "binary.tf", "line": None, "message": "binary file (contains NUL bytes); not read"},
        {"location": "latin1.tf", "line": 1, "message": "not UTF-8 text (byte 0xe9); Terraform requires UTF-8"},
    ]
    assert run.exit_code == 0


def test_a_nul_byte_in_a_module_source_is_a_binary_file_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": GOOD_STREAM, "calls.tf": b'module "m" {\n  source = "./m\0"\n}\n'})
    run = scan(tmp_path)
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.errors == [{"location": "calls.tf", "line": None,
                           "message": "binary file (contains NUL bytes); not read"}]

def test_a_huge_file_is_refused_and_the_rest_judged(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": GOOD_STREAM})
    with (tmp_path / "huge.tf").open("w", encoding="utf-8") as fh:
        fh.write('resource "aws_kinesis_stream" "huge" {\n  name = "huge"\n}\n')
        line = "# " + "x" * 1022 + "\n"
        for _ in range(10 * 1024 + 1):
            fh.write(line)
    assert (tmp_path / "huge.tf").stat().st_size > 10 * 1024 * 1024
    run = scan(tmp_path)
    # the huge file is not parsed, but the stream it declares is found in its text and judged unknown, not lost
    assert run.addresses() == ["aws_kinesis_stream.good", "aws_kinesis_stream.huge"]
    huge = run.finding("aws_kinesis_stream.huge")
    assert (huge["status"], huge["code"], huge["source"]["path"], huge["source"]["line"]) == (
        "unknown", "KSSE020", "huge.tf", 1)
    assert huge["message"] == ("the file cannot be read (huge.tf: file is over the 10 MiB limit for a configuration "
                               "file; not read); to resolve: split the file into files under 10 MiB, the most "
                               "sseguard parses as one configuration file")
    assert run.errors == [{"location": "huge.tf", "line": None,
                           "message": "file is over the 10 MiB limit for a configuration file; not read"}]


def test_symlink_loops_and_dangling_links(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": GOOD_STREAM, "sub/x.tf": GOOD_STREAM.replace('"good"', '"sub"', 1)})
    (tmp_path / "sub" / "loop").symlink_to("..")  # a folder link back up: walking it must end
    (tmp_path / "a.tf").symlink_to("b.tf")
    (tmp_path / "b.tf").symlink_to("a.tf")
    (tmp_path / "dangling.tf").symlink_to("nowhere.tf")
    run = scan(tmp_path)
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.sub") == ("pass", "KSSE000", [], "sub/x.tf", 1)
    assert run.addresses() == ["aws_kinesis_stream.good", "aws_kinesis_stream.sub"]
    looping = "cannot read: a broken or looping symbolic link"
    assert run.errors == [{"location": name, "line": None, "message": looping}
                          for name in ("a.tf", "b.tf", "dangling.tf")]


def test_an_unreadable_file(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": GOOD_STREAM, "secret.tf": 'resource "aws_kinesis_stream" "secret" {}\n'})
    secret = tmp_path / "secret.tf"
    secret.chmod(0)
    try:
        if os.geteuid() == 0:
            try:
                secret.read_bytes()
            except PermissionError:
                pass
            else:
                pytest.skip("running as root, which reads a chmod 000 file: it cannot be made unreadable here")
        run = scan(tmp_path)
    finally:
        secret.chmod(0o644)
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.addresses() == ["aws_kinesis_stream.good"]
    assert run.errors == [{"location": "secret.tf", "line": None, "message": "cannot read: Permission denied"}]


def test_a_folder_named_like_a_tf_file(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": GOOD_STREAM, "odd.tf/inner.tf": 'resource "aws_kinesis_stream" "inner" {}\n'})
    run = scan(tmp_path)
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.inner") == ("fail", "KSSE001", [], "odd.tf/inner.tf", 1)
    assert run.errors == []
