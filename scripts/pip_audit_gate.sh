#!/usr/bin/env bash
# The online half of the dependency gate: pip-audit, but only where a vulnerability
# service answers. Offline, pip-audit marks every package "could not be audited" and
# still exits 0 — that is not a pass, so it is not run at all; the offline gate
# (docs/advisories.toml, tests/security/test_dependency_floors.py, run by `make test`)
# is what protects the pins then, and this script says so loudly.
#
# Online, it fails on any finding AND on any package it could not audit.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
AUDIT=${PIP_AUDIT:-.venv/bin/pip-audit}

# PIP_AUDIT_SERVICE=osv|pypi skips the probe (to check this script's failure path offline).
service=${PIP_AUDIT_SERVICE:-}
[ -n "$service" ] || service=$("$PYTHON" - <<'PY'
import json, urllib.request

def osv() -> bool:
    body = json.dumps({"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "2.2.0"})
    request = urllib.request.Request(
        "https://api.osv.dev/v1/query", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - fixed https URL
        return bool(json.load(answer).get("vulns"))

def pypi() -> bool:
    with urllib.request.urlopen("https://pypi.org/pypi/flask/2.2.0/json", timeout=5) as answer:  # noqa: S310
        return bool(json.load(answer).get("vulnerabilities"))

# A service counts only if it knows a vulnerability we know exists (Flask 2.2.0).
for name, probe in (("osv", osv), ("pypi", pypi)):
    try:
        if probe():
            print(name)
            break
    except Exception:  # noqa: BLE001 - unreachable, refused, not JSON: not a service
        continue
PY
)

if [ -z "$service" ]; then
  echo "!!"
  echo "!! pip-audit NOT RUN: no vulnerability service answers from this machine."
  echo "!! The OFFLINE gate is what ran: docs/advisories.toml checked against every pin"
  echo "!! by tests/security/test_dependency_floors.py (part of make test)."
  echo "!!"
  exit 0
fi

echo "== pip-audit against the $service vulnerability service"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
"$AUDIT" -r requirements.txt -r requirements-dev.txt --no-deps --disable-pip \
  --vulnerability-service "$service" --format json --output "$report" --progress-spinner off \
  || status=$?
"$PYTHON" - "$report" "$status" <<'PY'
import json, sys

report = json.load(open(sys.argv[1]))
found = [(d["name"], d.get("version"), v["id"]) for d in report["dependencies"] for v in d.get("vulns", [])]
skipped = [(d["name"], d.get("skip_reason", "")) for d in report["dependencies"] if "skip_reason" in d]
for name, version, vuln in found:
    print(f"VULNERABLE: {name} {version}: {vuln}")
for name, reason in skipped:
    print(f"NOT AUDITED: {name}: {reason}")
audited = len(report["dependencies"]) - len(skipped)
print(f"pip-audit: {audited} packages audited, {len(found)} findings, {len(skipped)} not audited")
sys.exit(1 if found or skipped or (sys.argv[2] != "0" and not found) else 0)
PY
