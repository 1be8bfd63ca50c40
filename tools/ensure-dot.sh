#!/bin/sh
# Pictures need no system program: graphviz-pure comes with chainrule from pip. Graphviz's own
# `dot` adds PDF handouts and Chinese labels in PNG; say so once when it is missing, and
# never fail: make needs no root.
command -v dot >/dev/null 2>&1 && exit 0
case "$(uname -s)" in
    Darwin) how="brew install graphviz" ;;
    MINGW* | MSYS* | CYGWIN*) how="winget install graphviz" ;;
    *) how="sudo apt-get install graphviz   (Fedora: sudo dnf install graphviz)" ;;
esac
echo "note: pictures are drawn by graphviz-pure (installed with chainrule). For PDF handouts and"
echo "      Chinese labels in PNG, install Graphviz's own dot:  $how"
exit 0
