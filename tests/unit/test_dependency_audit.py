"""`make audit`'s policy (scripts/dependency_audit.py) on the reports pip-audit and
npm audit write: what fails, what a reviewed entry silences, and that an audit that
could not look anything up never passes as a clean one."""

from __future__ import annotations

import pytest

from scripts.dependency_audit import (
    npm_audit_advisories,
    outcome,
    pip_audit_advisories,
    read_ignore_list,
    stale,
)

PIP_REPORT = {
    "dependencies": [
        {"name": "requests", "version": "2.34.2", "vulns": []},
        {
            "name": "TensorFlow",
            "version": "2.12.0",
            "vulns": [
                {
                    "id": "PYSEC-2099-1",
                    "aliases": ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"],
                    "fix_versions": ["2.12.1"],
                    "description": "Heap overflow in a kernel\nmore",
                },
            ],
        },
    ],
    "fixes": [],
}
NPM_REPORT = {
    "vulnerabilities": {
        "engine.io-client": {
            "severity": "high",
            "via": [
                "ws",
                {
                    "source": 1,
                    "title": "DoS",
                    "severity": "high",
                    "url": "https://github.com/advisories/GHSA-1111-2222-3333",
                    "range": "<6",
                },
                {
                    "source": 2,
                    "title": "minor",
                    "severity": "moderate",
                    "url": "https://github.com/advisories/GHSA-4444-5555-6666",
                    "range": "<6",
                },
            ],
        }
    }
}


def test_an_advisory_not_reviewed_fails_the_audit():
    results = [pip_audit_advisories(PIP_REPORT)]
    status, line = outcome(results, [], required=False)
    assert status == 1 and line.startswith("AUDIT FAILED: 1 known vulnerability")
    [advisory] = results[0].advisories
    assert advisory.package == "tensorflow"
    assert advisory.summary == "Heap overflow in a kernel"


@pytest.mark.parametrize("listed_id", ["PYSEC-2099-1", "CVE-2099-1", "GHSA-aaaa-bbbb-cccc"])
def test_a_reviewed_advisory_is_accepted_by_any_of_its_ids(listed_id):
    ignored = read_ignore_list(f"{listed_id}  tensorflow  Rasa 3.6 pins it; kernel unused\n")
    assert outcome([pip_audit_advisories(PIP_REPORT)], ignored, required=False) == (
        0,
        "AUDIT PASSED",
    )


def test_a_review_names_the_package_too():
    ignored = read_ignore_list("PYSEC-2099-1 numpy  wrong package\n")
    assert outcome([pip_audit_advisories(PIP_REPORT)], ignored, required=False)[0] == 1


def test_an_ignore_line_without_a_reason_is_refused():
    with pytest.raises(ValueError, match="line 2"):
        read_ignore_list("# comment\nPYSEC-2099-1 tensorflow\n")


def test_packages_pypi_could_not_look_up_make_the_audit_not_checked_never_passed():
    report = {"dependencies": [{"name": "sanic", "skip_reason": "Dependency not found on PyPI"}]}
    results = [pip_audit_advisories(report)]
    assert results[0].unchecked == ["1 of 1 Python packages could not be looked up (e.g. sanic)"]
    assert outcome(results, [], required=False) == (0, "AUDIT NOT CHECKED")
    assert outcome(results, [], required=True) == (2, "AUDIT NOT CHECKED")


def test_npm_high_and_critical_count_moderate_does_not():
    result = npm_audit_advisories(NPM_REPORT)
    assert [(a.named(), a.severity) for a in result.advisories] == [("GHSA-1111-2222-3333", "high")]
    assert outcome([result], [], required=False)[0] == 1


def test_npm_audit_endpoint_down_is_not_checked():
    report = {"message": "405 Method Not Allowed - POST .../advisories/bulk",
              "error": {"summary": "", "detail": ""}}  # fmt: skip
    result = npm_audit_advisories(report)
    assert result.unchecked == [
        "npm audit could not run: 405 Method Not Allowed - POST .../advisories/bulk"
    ]
    assert outcome([result], [], required=False) == (0, "AUDIT NOT CHECKED")


def test_a_new_advisory_fails_even_when_another_audit_was_not_checked():
    down = npm_audit_advisories({"error": {"summary": "offline"}})
    assert outcome([pip_audit_advisories(PIP_REPORT), down], [], required=False)[0] == 1


def test_entries_no_longer_reported_are_pointed_out_only_after_a_full_check():
    ignored = read_ignore_list("GHSA-9999-9999-9999 engine.io-client fixed upstream since\n")
    checked = [npm_audit_advisories(NPM_REPORT)]
    assert stale(ignored, checked) == ignored
    assert stale(ignored, [npm_audit_advisories({"error": {"summary": "offline"}})]) == []
