#!/usr/bin/env bash
# Checks the bundled sample image: the README's first command ends here.
# The sample is built to fail some items, so the check's own exit codes 1 (items failed) and
# 3 (items could not be decided) are the expected answer, not an error of the set-up; 2 (the
# image could not be read, a usage error) still is.
cd "$(dirname "$0")/.."
node apps/cli/dist/bin.js check samples/sample-linux.qcow2 "$@"
code=$?
case $code in
  0 | 1 | 3) exit 0 ;;
  *) exit "$code" ;;
esac
