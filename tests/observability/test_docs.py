"""docs/observability.md names every metric, recording rule, alert and dashboard there is.

The stack test proves the metrics contract against the running processes; this keeps the document
for platform engineers in step with the same contract and with the rule and dashboard files.
"""

from __future__ import annotations

import itertools
import re

from tests.observability import observability_helpers as oh

DOC = oh.REPO / "docs" / "observability.md"


def _code_spans() -> set[str]:
    """Every `code` span of the document, with shell-style braces expanded (`p{50,95}` -> p50, p95)."""
    out: set[str] = set()
    for span in re.findall(r"`([^`\n]+)`", DOC.read_text()):
        parts = re.split(r"\{([^{}]*,[^{}]*)\}", span)
        literals, choices = parts[0::2], [p.split(",") for p in parts[1::2]]
        for combo in itertools.product(*choices):
            out.add("".join(itertools.chain.from_iterable(itertools.zip_longest(literals, combo, fillvalue=""))))
    return out


def test_every_exported_metric_is_documented():
    spans = _code_spans()
    missing = [name for job in oh.EXPORTED_METRICS.values() for name in job if name not in spans]
    assert not missing, f"docs/observability.md does not document: {missing}"


def test_every_recording_rule_is_documented():
    spans = _code_spans()
    missing = [r["record"] for r in oh.recording_rules() if r["record"] not in spans]
    assert not missing, f"docs/observability.md does not list: {missing}"


def test_every_alert_is_in_the_alerts_table_with_its_severity():
    text = DOC.read_text()
    for rule in oh.alerting_rules():
        row = re.search(rf"^\| {rule['alert']} \|.*$", text, re.M)
        assert row, f"no row for {rule['alert']} in the alerts table"
        assert f"| {rule['labels']['severity']} |" in row.group(0), f"{rule['alert']}: severity differs"
        assert f"runbooks.md#{rule['alert'].lower()}" in row.group(0)


def test_every_dashboard_uid_is_documented():
    spans = _code_spans()
    missing = [d["uid"] for _, d in oh.dashboards() if d["uid"] not in spans]
    assert not missing, f"docs/observability.md does not describe dashboards: {missing}"
