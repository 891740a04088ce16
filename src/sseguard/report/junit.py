"""JUnit XML: one test case per stream, so CI systems show each stream as a passing, failing or skipped test.

A failing stream is a ``failure``; an unknown or suppressed one is ``skipped`` with the reason (it is neither proven
nor broken); an input that could not be read is a test case with an ``error``, so a broken file fails the suite
loudly instead of vanishing. The class name is the file, or ``account/region`` for live streams. Every value from
the inputs goes through ``escape.xml_safe``: a Terraform key or API field may hold characters XML cannot carry.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sseguard import __version__
from sseguard.control.codes import CODES, CONTROL_ID
from sseguard.model import Finding, InputError, Status, resolved_or_none
from sseguard.report.core import RenderOptions, Report, remediation_of
from sseguard.report.escape import xml_safe


def classname(f: Finding) -> str:
    """The file a stream was found in, or ``account/region`` (``aws`` when neither is known) for live streams."""
    s = f.stream
    if s.location.path:
        return s.location.path
    region = resolved_or_none(s.region)
    parts = [p for p in (s.account, region) if p]
    return "/".join(parts) if parts else s.location.kind.value


def _details(f: Finding) -> str:
    v = f.verdict
    lines = [f"{v.code} {CODES[v.code].slug}: {v.message}"]
    if f.stream.location.line:
        lines.append(f"at {f.stream.location.path}:{f.stream.location.line}")
    if v.also_failing:
        lines.append("also failing: " + ", ".join(v.also_failing))
    lines.extend(f"advisory {a} {CODES[a].slug}: {CODES[a].title}" for a in v.advisories)
    lines.extend(f"note: {n}" for n in f.notes)
    if f.status is not Status.PASS:
        lines.append(f"how to fix: {remediation_of(f)}")
    return "\n".join(lines)


def testcase(f: Finding) -> ET.Element:
    """The <testcase> of one stream."""
    v = f.verdict
    name = f.stream.address + f.stream.location.root_note
    attrs = {"classname": xml_safe(classname(f)), "name": xml_safe(name), "time": "0"}
    if f.stream.location.path:
        attrs["file"] = xml_safe(f.stream.location.path)
    if f.stream.location.line:
        attrs["line"] = str(f.stream.location.line)
    case = ET.Element("testcase", attrs)
    summary = xml_safe(f"{v.code} {CODES[v.code].slug}: {v.message}")
    if f.status is Status.FAIL:
        child = ET.SubElement(case, "failure", {"message": summary, "type": v.code})
        child.text = xml_safe(_details(f))
    elif f.status is Status.UNKNOWN:
        ET.SubElement(case, "skipped", {"message": xml_safe(f"unknown: {v.code} {CODES[v.code].slug}: {v.message}")})
        ET.SubElement(case, "system-out").text = xml_safe(_details(f))
    elif f.status is Status.BASELINED:
        ET.SubElement(case, "skipped", {"message": xml_safe(f"baselined ({v.status.value}): {v.code} "
                                                            f"{CODES[v.code].slug}: {v.message}")})
        ET.SubElement(case, "system-out").text = xml_safe(_details(f))
    elif f.status is Status.SUPPRESSED:
        sup = f.suppression
        assert sup is not None
        expiry = f", expires {sup.expires}" if sup.expires else ""
        ET.SubElement(case, "skipped", {
            "message": xml_safe(f"suppressed ({sup.kind}{expiry}): {sup.reason}; finding: {v.code} {v.message}"),
        })
        ET.SubElement(case, "system-out").text = xml_safe(_details(f))
    elif v.advisories or f.notes:
        ET.SubElement(case, "system-out").text = xml_safe(_details(f))
    return case


def _error_case(err: InputError) -> ET.Element:
    attrs = {"classname": "input errors", "name": xml_safe(err.location), "time": "0"}
    if err.line:
        attrs["line"] = str(err.line)
    case = ET.Element("testcase", attrs)
    where = f"{err.location}:{err.line}" if err.line else err.location
    ET.SubElement(case, "error", {"message": xml_safe(err.message), "type": "InputError"}).text = xml_safe(
        f"{where}: {err.message}")
    return case


def to_element(report: Report) -> ET.Element:
    """The report as a <testsuites> element holding one <testsuite> for the control."""
    counts = report.summary()
    totals = {
        "tests": str(len(report.findings) + len(report.errors)),
        "failures": str(counts["fail"]),
        "errors": str(len(report.errors)),
        "skipped": str(counts["unknown"] + counts["suppressed"]),
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": "sseguard", **totals})
    suite = ET.SubElement(root, "testsuite", {
        "name": CONTROL_ID,
        **totals,
        "timestamp": report.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    })
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "tool", "value": f"sseguard {__version__}"})
    for inp in report.inputs:
        ET.SubElement(props, "property", {"name": f"input.{inp.kind.value}", "value": xml_safe(inp.location)})
    for f in report.findings:
        suite.append(testcase(f))
    for err in report.errors:
        suite.append(_error_case(err))
    return root


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as a JUnit XML document (UTF-8), ending in a newline."""
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
