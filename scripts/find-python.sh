#!/usr/bin/env bash
# Prints the path of a Python interpreter of the given minor version (e.g. 3.12): the newest pyenv
# install of it, else python3.12 on the PATH. Prints nothing when there is none.
set -uo pipefail
minor="$1"
if command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    PYENV_VERSION="$version" pyenv which python 2>/dev/null && exit 0
  fi
fi
command -v "python$minor" 2>/dev/null || true
