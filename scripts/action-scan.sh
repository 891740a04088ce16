#!/usr/bin/env bash
# The run step of action.yml: scan, write SARIF (with the category) and the Markdown report to the job summary,
# and hand the exit code to the step that fails the job after the SARIF is uploaded. Inputs come as SSEGUARD_*
# variables; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are the files GitHub gives every step.
set -uo pipefail
read -r -a paths <<< "${SSEGUARD_PATHS:-.}"
sarif="${SSEGUARD_SARIF:-sseguard.sarif}"
mkdir -p "$(dirname "$sarif")"
args=(scan "${paths[@]}" --fail-on "${SSEGUARD_FAIL_ON:-fail}" --no-history
      --sarif-category "${SSEGUARD_CATEGORY:-sseguard}" --output "sarif=$sarif")
if [ -n "${SSEGUARD_CONFIG:-}" ]; then
  args+=(--config "$SSEGUARD_CONFIG")
fi
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
sseguard "${args[@]}" --output "markdown=$summary" --format text
code=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
