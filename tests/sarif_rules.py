"""What a SARIF log must be for GitHub code scanning to take it, checked without any schema file.

The OASIS SARIF 2.1.0 schema is checked too when it is beside the repository (``../shared/spec``); it is not part
of the project, so a bare clone checks the rules GitHub's ingestion applies on their own. They come from GitHub's
"SARIF support for code scanning" and "SARIF results exceed limits" pages, and from uploads GitHub rejected: a URI
that is not a file path (trivy-action#320), several runs of one tool and category in one file (codeql-action#3051).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

OASIS_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "spec" / "sarif-2.1.0.json"

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
_LEVELS = {"none", "note", "warning", "error"}
_SUPPRESSION_KINDS = {"inSource", "external"}
_SUPPRESSION_STATUS = {"accepted", "underReview", "rejected"}
_SEVERITY = re.compile(r"^(?:10(?:\.0+)?|\d(?:\.\d+)?)$")


@cache
def _oasis_validator() -> Any:
    import jsonschema

    if not OASIS_SCHEMA.is_file():
        return None
    return jsonschema.Draft4Validator(json.loads(OASIS_SCHEMA.read_text(encoding="utf-8")))


def problems(log: Any) -> list[str]:
    """Every reason GitHub code scanning (or, when present, the OASIS schema) would refuse this log."""
    out: list[str] = []
    validator = _oasis_validator()
    if validator is not None:
        out.extend(f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log))
    if not isinstance(log, dict):
        return [*out, "the log is not a JSON object"]
    if log.get("version") != "2.1.0":
        out.append(f"version is {log.get('version')!r}, not '2.1.0'")
    runs = log.get("runs")
    if not isinstance(runs, list) or not runs:
        return [*out, "runs is not a non-empty list"]
    if len(runs) > MAX_RUNS:
        out.append(f"{len(runs)} runs, more than {MAX_RUNS}")
    categories: set[tuple[Any, Any]] = set()
    for i, run in enumerate(runs):
        out.extend(f"runs[{i}]: {p}" for p in _run_problems(run))
        if isinstance(run, dict):
            tool = ((run.get("tool") or {}).get("driver") or {}).get("name")
            category = (run.get("automationDetails") or {}).get("id")
            if (tool, category) in categories:
                out.append(f"runs[{i}]: a second run of {tool!r} with category {category!r}")
            categories.add((tool, category))
    return out


def _run_problems(run: Any) -> list[str]:
    if not isinstance(run, dict):
        return ["not an object"]
    out: list[str] = []
    driver = (run.get("tool") or {}).get("driver")
    if not isinstance(driver, dict) or not isinstance(driver.get("name"), str) or not driver["name"]:
        return ["tool.driver.name is missing"]
    rules = driver.get("rules", [])
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        out.append("tool.driver.rules is not a list of at most 25,000 rules")
        rules = []
    ids = []
    for j, rule in enumerate(rules):
        if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
            out.append(f"rules[{j}] has no id")
            continue
        ids.append(rule["id"])
        props = rule.get("properties") or {}
        severity = props.get("security-severity")
        if severity is not None and not (isinstance(severity, str) and _SEVERITY.match(severity)):
            out.append(f"rules[{j}]: security-severity {severity!r} is not a string number from 0.0 to 10.0")
        if len(props.get("tags", [])) > MAX_TAGS:
            out.append(f"rules[{j}]: more than {MAX_TAGS} tags")
        level = (rule.get("defaultConfiguration") or {}).get("level")
        if level is not None and level not in _LEVELS:
            out.append(f"rules[{j}]: default level {level!r}")
    if len(set(ids)) != len(ids):
        out.append("rule ids are not unique")
    results = run.get("results")
    if not isinstance(results, list):
        return [*out, "results is not a list"]
    if len(results) > MAX_RESULTS:
        out.append(f"{len(results)} results, more than {MAX_RESULTS}")
    for k, result in enumerate(results):
        out.extend(f"results[{k}]: {p}" for p in _result_problems(result, ids))
    return out


def _result_problems(result: Any, rule_ids: list[str]) -> list[str]:
    if not isinstance(result, dict):
        return ["not an object"]
    out: list[str] = []
    rule_id = result.get("ruleId")
    if not isinstance(rule_id, str) or not rule_id:
        out.append("no ruleId")
    elif rule_ids and rule_id not in rule_ids:
        out.append(f"ruleId {rule_id!r} is not a rule of the run")
    index = result.get("ruleIndex")
    if index is not None and not (isinstance(index, int) and 0 <= index < len(rule_ids)
                                  and rule_ids[index] == rule_id):
        out.append(f"ruleIndex {index!r} does not point at rule {rule_id!r}")
    if result.get("level", "warning") not in _LEVELS:
        out.append(f"level {result.get('level')!r}")
    text = (result.get("message") or {}).get("text")
    if not isinstance(text, str) or not text:
        out.append("no message.text")
    locations = result.get("locations", [])
    if not isinstance(locations, list) or len(locations) > MAX_LOCATIONS:
        out.append("locations is not a list of at most 1,000")
        locations = []
    for location in locations:
        physical = location.get("physicalLocation") if isinstance(location, dict) else None
        if physical is None:
            continue
        uri = (physical.get("artifactLocation") or {}).get("uri")
        if not isinstance(uri, str) or not uri:
            out.append("a physicalLocation without artifactLocation.uri")
        elif not _file_uri(uri):
            out.append(f"uri {uri!r} is not a file path or file: URI")
        start = (physical.get("region") or {}).get("startLine")
        if start is not None and not (isinstance(start, int) and start >= 1):
            out.append(f"region.startLine {start!r}")
    fingerprints = result.get("partialFingerprints", {})
    if not isinstance(fingerprints, dict) or not all(isinstance(v, str) for v in fingerprints.values()):
        out.append("partialFingerprints is not a map of strings")
    for suppression in result.get("suppressions", []):
        if suppression.get("kind") not in _SUPPRESSION_KINDS:
            out.append(f"suppression kind {suppression.get('kind')!r}")
        if suppression.get("status", "accepted") not in _SUPPRESSION_STATUS:
            out.append(f"suppression status {suppression.get('status')!r}")
    return out


def _file_uri(uri: str) -> bool:
    """A relative path, or an absolute file: URI (GitHub refuses other schemes and bare absolute paths)."""
    parsed = urlparse(uri)
    if parsed.scheme:
        return parsed.scheme == "file"
    return not uri.startswith("/") and "\\" not in uri and not any(ord(c) < 32 for c in uri)


def check(log: Any) -> None:
    """Fail with every problem listed when GitHub code scanning would refuse ``log``."""
    found = problems(log)
    assert not found, "SARIF log would be refused:\n  " + "\n  ".join(found)
