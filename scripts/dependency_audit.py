"""`make audit`: known vulnerabilities in what we ship, against a reviewed ignore list.

Two audits:

- **Python**: ``pip-audit`` over requirements.lock (every pinned package, as installed
  in production). pip-audit lives in its own venv (``.venv-audit``, from
  security/audit-tools.lock) because it needs CacheControl>=0.13 and Rasa 3.6 pins
  0.12. PyPI's vulnerability data carries no severity, so *every* advisory counts
  until it is reviewed and listed in security/audit-ignore.txt with a reason.
- **Widget**: ``npm audit --omit=dev --audit-level=high`` over widget/package.json's
  production dependencies (what the bundle ships); high and critical advisories count.

Outcome, printed as one line at the end and as the exit status:

- ``PASSED`` (0): both audits ran and found nothing that is not reviewed.
- ``FAILED`` (1): an advisory that is not in the ignore list.
- ``NOT CHECKED`` (0, or 2 with AUDIT_REQUIRED=1): an audit service could not be
  reached, or some packages could not be looked up. CI should not go red because
  PyPI or npm is down, but a green must not hide that nothing was checked: a loud
  banner says exactly what was not checked. Release pipelines set AUDIT_REQUIRED=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
TOOLS_LOCK = ROOT / "security" / "audit-tools.lock"
IGNORE_FILE = ROOT / "security" / "audit-ignore.txt"
TOOLS_VENV = ROOT / ".venv-audit"
WIDGET = ROOT / "widget"
NPM_FAILING_SEVERITIES = {"high", "critical"}


@dataclass(frozen=True)
class Advisory:
    ids: frozenset[str]
    """The advisory's id and its aliases (PYSEC-…, GHSA-…, CVE-…)."""
    package: str
    version: str
    severity: str
    summary: str

    def named(self) -> str:
        return sorted(self.ids)[0]


@dataclass
class AuditResult:
    """One audit's findings, or why it could not be done."""

    name: str
    advisories: list[Advisory] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    """What could not be checked (a service down, packages not found), in words."""


@dataclass(frozen=True)
class Ignored:
    advisory_id: str
    package: str
    reason: str


def read_ignore_list(text: str) -> list[Ignored]:
    """``ID PACKAGE REASON…`` per line; ``#`` comments. A line without a reason is an
    error: the point of the list is that each entry was reviewed."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise ValueError(
                f"{IGNORE_FILE.name} line {number}: expected 'ADVISORY-ID package reason'"
            )
        entries.append(Ignored(parts[0], parts[1].lower(), parts[2]))
    return entries


def pip_audit_advisories(report: dict[str, Any]) -> AuditResult:
    """The advisories in pip-audit's ``--format json`` report, and what it skipped."""
    result = AuditResult("Python (requirements.lock)")
    skipped = []
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            skipped.append(dependency["name"])
            continue
        for vuln in dependency.get("vulns", []):
            result.advisories.append(
                Advisory(
                    ids=frozenset([vuln["id"], *vuln.get("aliases", [])]),
                    package=dependency["name"].lower(),
                    version=dependency.get("version", "?"),
                    severity="unrated",
                    summary=(vuln.get("description") or "").split("\n")[0][:160],
                )
            )
    if skipped:
        total = len(report.get("dependencies", []))
        result.unchecked.append(
            f"{len(skipped)} of {total} Python packages could not be looked up "
            f"(e.g. {', '.join(skipped[:5])})"
        )
    return result


def npm_audit_advisories(report: dict[str, Any]) -> AuditResult:
    """High and critical advisories in ``npm audit --json``'s report."""
    result = AuditResult("widget (npm, production dependencies)")
    if "error" in report or "vulnerabilities" not in report:
        error = report.get("error")
        summary = error.get("summary") if isinstance(error, dict) else error
        result.unchecked.append(
            f"npm audit could not run: {summary or report.get('message') or 'no report'}"
        )
        return result
    for name, vulnerability in report.get("vulnerabilities", {}).items():
        for via in vulnerability.get("via", []):
            if not isinstance(via, dict) or via.get("severity") not in NPM_FAILING_SEVERITIES:
                continue  # a string names the dependency the advisory comes through
            url = str(via.get("url", ""))
            ids = {url.rstrip("/").rsplit("/", 1)[-1]} if url else {str(via.get("source"))}
            result.advisories.append(
                Advisory(
                    ids=frozenset(ids),
                    package=name.lower(),
                    version=str(via.get("range", "?")),
                    severity=str(via["severity"]),
                    summary=str(via.get("title", ""))[:160],
                )
            )
    return result


def unreviewed(advisories: list[Advisory], ignored: list[Ignored]) -> list[Advisory]:
    reviewed = {(entry.advisory_id, entry.package) for entry in ignored}
    return [
        advisory
        for advisory in advisories
        if not any((advisory_id, advisory.package) in reviewed for advisory_id in advisory.ids)
    ]


def stale(ignored: list[Ignored], results: list[AuditResult]) -> list[Ignored]:
    """Ignore-list entries no audit reported any more (fixed upstream: remove them)."""
    if any(result.unchecked for result in results):
        return []  # an unchecked audit proves nothing about stale entries
    seen = {
        (advisory_id, advisory.package)
        for result in results
        for advisory in result.advisories
        for advisory_id in advisory.ids
    }
    return [entry for entry in ignored if (entry.advisory_id, entry.package) not in seen]


def outcome(results: list[AuditResult], ignored: list[Ignored], required: bool) -> tuple[int, str]:
    """The exit status and the final line."""
    new = [advisory for result in results for advisory in unreviewed(result.advisories, ignored)]
    if new:
        return 1, f"AUDIT FAILED: {len(new)} known vulnerabilit{'y' if len(new) == 1 else 'ies'} "
    if any(result.unchecked for result in results):
        return (2 if required else 0), "AUDIT NOT CHECKED"
    return 0, "AUDIT PASSED"


# Running the tools.


def tools_python() -> Path | None:
    """pip-audit's own venv, made or updated from security/audit-tools.lock."""
    stamp = TOOLS_VENV / f".installed-{hashlib.sha256(TOOLS_LOCK.read_bytes()).hexdigest()[:12]}"
    python = TOOLS_VENV / "bin" / "python"
    if stamp.exists():
        return python
    print("Installing pip-audit into .venv-audit (its own venv: it needs newer pins than Rasa)")
    try:
        venv.create(TOOLS_VENV, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
             "-r", str(TOOLS_LOCK)],
            check=True, timeout=600,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        print(f"  could not install pip-audit: {error}")
        return None
    stamp.touch()
    return python


def run_pip_audit() -> AuditResult:
    python = tools_python()
    if python is None:
        return AuditResult("Python (requirements.lock)", unchecked=["pip-audit is not installed"])
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "pip-audit.json"
        run = subprocess.run(
            [str(python), "-m", "pip_audit", "-r", str(LOCK), "--no-deps", "--disable-pip",
             "--format", "json", "--output", str(report_path), "--progress-spinner", "off"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if not report_path.exists():
            reason = (run.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return AuditResult("Python (requirements.lock)", unchecked=[f"pip-audit: {reason}"])
        return pip_audit_advisories(json.loads(report_path.read_text()))


def run_npm_audit() -> AuditResult:
    try:
        run = subprocess.run(
            ["npm", "audit", "--omit=dev", "--audit-level=high", "--json"],
            cwd=WIDGET, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        return AuditResult("widget (npm)", unchecked=[f"npm audit could not run: {error}"])
    try:
        report = json.loads(run.stdout or "{}")
    except json.JSONDecodeError:
        report = {"error": {"summary": (run.stderr.strip().splitlines() or ["?"])[-1]}}
    return npm_audit_advisories(report)


def report(results: list[AuditResult], ignored: list[Ignored], required: bool) -> int:
    for result in results:
        new = unreviewed(result.advisories, ignored)
        known = len(result.advisories) - len(new)
        print(f"{result.name}: {len(new)} new, {known} reviewed (security/audit-ignore.txt)")
        for advisory in new:
            print(
                f"  NEW {advisory.named()} {advisory.package} {advisory.version} "
                f"[{advisory.severity}] {advisory.summary}\n"
                f"      ids: {', '.join(sorted(advisory.ids))}"
            )
        for reason in result.unchecked:
            print(f"  NOT CHECKED: {reason}")
    for entry in stale(ignored, results):
        print(f"note: {entry.advisory_id} ({entry.package}) is no longer reported: remove it")
    status, line = outcome(results, ignored, required)
    if line == "AUDIT NOT CHECKED":
        bar = "!" * 78
        consequence = (
            "Failing: AUDIT_REQUIRED=1."
            if required
            else "Not failing the build (set AUDIT_REQUIRED=1 to fail)."
        )
        print(
            f"\n{bar}\n!! AUDIT NOT CHECKED: some dependencies were NOT audited (see above).\n"
            f"!! This run does not show that they are free of known vulnerabilities.\n"
            f"!! {consequence}\n{bar}"
        )
    else:
        print(line + ("(add each, after review, to security/audit-ignore.txt)" if status else ""))
    return status


def main() -> int:
    ignored = read_ignore_list(IGNORE_FILE.read_text())
    required = os.environ.get("AUDIT_REQUIRED", "") == "1"
    return report([run_pip_audit(), run_npm_audit()], ignored, required)


if __name__ == "__main__":
    sys.exit(main())
