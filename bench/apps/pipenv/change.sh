#!/usr/bin/env bash
# One pinned package changes version: whitenoise 6.12.0 -> 6.11.0. Pipfile.lock.changed was made from
# Pipfile.changed with `pipenv lock`; running this again swaps back.
set -euo pipefail
for file in Pipfile Pipfile.lock; do
  mv "$file" "$file.swap" && mv "$file.changed" "$file" && mv "$file.swap" "$file.changed"
done
