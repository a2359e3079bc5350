#!/usr/bin/env bash
# Prints the path of a Python interpreter of the first given minor version that is found (e.g. 3.12
# 3.13): the newest pyenv install of it, else python3.12 on the PATH. Prints nothing when there is none.
set -uo pipefail
for minor in "$@"; do
  if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1)
    if [ -n "$version" ] && PYENV_VERSION="$version" pyenv which python 2>/dev/null; then
      exit 0
    fi
  fi
  if command -v "python$minor" 2>/dev/null; then
    exit 0
  fi
done
exit 0
