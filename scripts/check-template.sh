#!/usr/bin/env bash
# Checks template.yaml with cfn-lint and `sam validate --lint`, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools.sh template)
"$venv/bin/cfn-lint" template.yaml
# SAM validates locally; a region is required and no call reaches AWS.
AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0 \
  "$venv/bin/sam" validate --lint --template-file template.yaml
echo "template.yaml: cfn-lint and sam validate --lint passed"
