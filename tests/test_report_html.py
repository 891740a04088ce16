"""HTML page, read back with html.parser: escaping, no fetch of anything, the policy hashes, evidence, the chart.

The browser test (clicks, screenshot) is tests/test_html_browser.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from html.parser import HTMLParser

import report_cases as rc
from sseguard.report import FORMATS, RenderOptions, html

FETCHING_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "ping"}


class Page(HTMLParser):
    """Every start tag with its attributes, and the text of each <style> and <script> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._open = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.raw[self._open][-1] += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def history() -> list[tuple[dt.date, dict[str, int]]]:
    start = dt.date(2026, 11, 1)
    days = [start + dt.timedelta(days=i) for i in (0, 1, 2, 5, 6)]  # 3 and 4 have no scan
    counts = [{"pass": 1, "fail": 2, "unknown": 1, "suppressed": 0}, {"pass": 2, "fail": 1, "unknown": 1},
              {"pass": 3, "fail": 1}, {"pass": 0, "fail": 0}, {"pass": 4}]
    return list(zip(days, counts, strict=True))


def test_hostile_address_is_escaped_and_only_our_script_exists() -> None:
    text = FORMATS["html"](rc.report(), RenderOptions())
    assert "<script>alert(1)</script>" not in text
    assert 'aws_kinesis_stream.x[&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;]' in text
    page = parse(text)
    assert [t for t, _ in page.tags].count("script") == 1
    assert page.raw["script"] == [html.JS]


def test_page_fetches_nothing() -> None:
    page = parse(html.render_page(rc.report(), history=history()))
    for tag, attrs in page.tags:
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "video", "audio", "source"}, tag
        assert not FETCHING_ATTRS & set(attrs), (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
    for source in page.raw["style"] + page.raw["script"]:
        assert not re.search(r"url\(|@import|https?:|fetch\(|XMLHttpRequest", source)


def test_policy_allows_exactly_the_inline_style_and_script() -> None:
    page = parse(html.render(rc.report()))
    [csp] = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp is not None

    def digest(source: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"

    [style], [script] = page.raw["style"], page.raw["script"]
    assert csp == (f"default-src 'none'; style-src {digest(style)}; script-src {digest(script)}; img-src data:; "
                   "base-uri 'none'; form-action 'none'")


def test_rows_worst_first_with_filters_and_evidence() -> None:
    text = html.render(rc.report())
    page = parse(text)
    statuses = [a["data-status"] for t, a in page.tags if t == "tbody" and a.get("class") == "finding"]
    assert statuses == ["fail"] * 5 + ["unknown"] * 2 + ["suppressed"] + ["pass"] * 2
    filters = [a["data-filter"] for t, a in page.tags if t == "button" and "data-filter" in a]
    assert filters == ["all", "fail", "unknown", "suppressed", "pass"]
    assert '>fail (5)</button>' in text and '>suppressed (1)</button>' in text
    moved = text.split('data-search="aws_kinesis_stream.moved_key')[1].split("</tbody>")[0]
    assert "<h3>Key policy analysis</h3>" in moved
    assert ("statement &#x27;Root&#x27; allows arn:aws:iam::111122223333:root kms:GenerateDataKey and kms:Decrypt"
            in moved)
    assert "&quot;Action&quot;: &quot;kms:*&quot;" in moved
    assert "<dt>state</dt><dd><code>Disabled</code></dd>" in moved
    assert "<dt>also failing</dt><dd>KSSE014</dd>" in moved
    live = text.split(f'data-search="{rc.LIVE_ARN}')[1].split("</tbody>")[0]
    assert "<h3>Source and API fields</h3>" in live and "<dt>StreamStatus</dt><dd><code>ACTIVE</code></dd>" in live
    orders = text.split('data-search="aws_kinesis_stream.orders')[1].split("</tbody>")[0]
    assert ("<dt>KSSE011 key-region-mismatch</dt><dd>the alias is not declared in the scanned files</dd>" in orders)
    legacy = text.split('data-search="aws_kinesis_stream.legacy')[1].split("</tbody>")[0]
    assert "<h3>Suppression</h3><dl><dt>by</dt><dd>sseguard</dd><dt>reason</dt><dd>legacy stream, retired in Q1</dd>" \
        in legacy
    from_var = text.split('data-search="aws_kinesis_stream.from_var')[1].split("</tbody>")[0]
    assert ("<strong>unknown</strong> (KSSE020): var.encryption has no value; to resolve: give --var "
            "encryption=KMS or a tfvars file") in from_var


def test_summary_errors_and_mapping_tables() -> None:
    text = html.render(rc.report())
    assert '<div class="card fail"><div class="n">5</div>' in text
    assert '<div class="card error"><div class="n">1</div><div class="l">input error</div></div>' in text
    assert "<td><code>broken/main.tf</code></td><td>3</td>" in text
    assert "<tr><td>PCI DSS v4.0</td><td>3.5.1</td><td>seed, Prowler</td></tr>" in text
    assert "<tr><td>Checkov</td><td><code>CKV_AWS_43</code></td><td>SSE on</td></tr>" in text
    assert 'id="history"' not in text


def test_empty_report_says_so() -> None:
    text = html.render(rc.report([], errors=[]))
    assert "No Kinesis stream was found in the inputs." in text
    assert '<div class="n">n/a</div><div class="l">passing</div>' in text


def test_history_chart_draws_days_and_marks_gaps() -> None:
    svg = html.history_chart(history())
    page = parse(svg)
    rects = [a.get("class") for t, a in page.tags if t == "rect"]
    # Day 1: fail, unknown, pass; day 2: fail, unknown, pass; day 3: fail, pass; day 6: an empty scan; day 7: pass.
    assert rects.count("fail") == 3 and rects.count("unknown") == 2 and rects.count("pass") == 4
    assert rects.count("gap") == 2 and rects.count("empty") == 1
    assert "<title>2026-11-04: no scan</title>" in svg and "<title>2026-11-05: no scan</title>" in svg
    assert "<title>2026-11-01: 2 fail, 1 unknown, 0 suppressed, 1 pass</title>" in svg
    page_html = html.render_page(rc.report(), history=history())
    assert "100% of 4 streams passing on 2026-11-07" in page_html
    # Two scans on one day: the later entry is the day's.
    twice = html.history_chart([(dt.date(2026, 1, 1), {"fail": 3}), (dt.date(2026, 1, 1), {"pass": 3})])
    assert 'class="fail"' not in twice and twice.count('class="pass"') == 1
    assert html.history_chart([]) == ""


def test_a_key_policy_keeps_its_lines_and_its_values_stay_escaped() -> None:
    text = html.render(rc.report())
    assert ('<h3>Key policy</h3><pre>{\n  &quot;Statement&quot;: [\n    {\n      &quot;Action&quot;: &quot;kms:*&quot;,'
            in text)
