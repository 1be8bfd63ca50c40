#!/bin/sh
# Make sure Graphviz's `dot` program exists: install it where we can, else say how.
command -v dot >/dev/null 2>&1 && exit 0
echo "Graphviz's dot program is missing; installing it..."
if [ "$(uname)" = Darwin ] && command -v brew >/dev/null 2>&1; then
    brew install graphviz && exit 0
elif command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        (apt-get install -y -qq graphviz || (apt-get update -qq && apt-get install -y -qq graphviz)) >/dev/null && exit 0
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        (sudo apt-get install -y -qq graphviz || (sudo apt-get update -qq && sudo apt-get install -y -qq graphviz)) >/dev/null && exit 0
    fi
fi
cat >&2 <<'MSG'
Could not install Graphviz's `dot` program automatically. Install it, then run make again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add its bin folder to PATH)
MSG
exit 1
