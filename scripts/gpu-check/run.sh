#!/usr/bin/env bash
# The device side of scripts/gpu-check.sh: runs on a machine without Node or the course installed
# (the lent H100's Python/CUDA image), from the repository root: `bash .gpu-check/run.sh`.
# Unpacks the carried Node binary, dawn.node and the check bundle into $GPU_CHECK_WORK
# (default /tmp/gpu-check), brings the Vulkan loader where the system has none, points Vulkan at
# NVIDIA's driver when the image has one, and runs the check (scripts/gpu-check/check.ts).
# Needs only bash, coreutils and xz or python3.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${GPU_CHECK_WORK:-/tmp/gpu-check}"
mkdir -p "$work"
t0=$SECONDS
unxz_to() { # <file.xz> <out>
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
unxz_to "$here/node.xz" "$work/node" && chmod +x "$work/node" || { echo "gpu-check: could not unpack Node"; exit 1; }
mkdir -p "$work/dawn/dist/linux-x64"
cp "$here/dawn/index.js" "$here/dawn/package.json" "$work/dawn/"
unxz_to "$here/dawn/dawn.node.xz" "$work/dawn/dist/linux-x64/dawn.node"
# the bundle stays two folders below the repository root: it finds data/ from there
[ -f "$here/app/check.mjs" ] || unxz_to "$here/app/check.mjs.xz" "$here/app/check.mjs"
# the Vulkan loader (libvulkan1, carried as its .deb) where the system has none
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' && [ -f "$here/libvulkan1.deb" ]; then
  mkdir -p "$work/vulkan"
  if command -v dpkg-deb >/dev/null 2>&1; then dpkg-deb -x "$here/libvulkan1.deb" "$work/vulkan"
  else (cd "$work/vulkan" && ar x "$here/libvulkan1.deb" && tar xf data.tar.*); fi
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "gpu-check: Vulkan loader from the carried libvulkan1.deb"
fi
# NVIDIA's Vulkan driver as the GPU container provides it (not in the loader's default search path)
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nv" ]; then export VK_DRIVER_FILES="$nv" VK_ICD_FILENAMES="$nv"; fi
for f in ${VK_DRIVER_FILES:-}; do echo "gpu-check: Vulkan driver $f: $(tr -d ' \n' <"$f" | head -c 200)"; done
command -v nvidia-smi >/dev/null 2>&1 && echo "gpu-check: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
export XDG_RUNTIME_DIR="$work/xdg" COURSE_WEBGPU_DIR="$work/dawn"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
echo "gpu-check: unpacked in $((SECONDS - t0)) s, Node $("$work/node" --version)"
cd "$root" && exec "$work/node" "$here/app/check.mjs"
