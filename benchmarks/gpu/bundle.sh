#!/usr/bin/env bash
# Builds, on a machine with Swift, what benchmarks/gpu/device-check.sh needs on a GPU machine without it: static release
# binaries (the Swift runtime linked in, the kernels embedded), the shared libraries they load (OpenCL ICD loader,
# OpenBLAS and its Fortran runtime, zlib) and the shared clinical slices, packed as .build/gpu-bundle.tar.xz (ignored
# by git; about 37 MB, where the folder is 160 MB: the static Foundation carries ICU's data). Carry the archive to the
# device session; device-check.sh unpacks it.
#   bash benchmarks/gpu/bundle.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/gpu-bundle
swift build -c release --static-swift-stdlib --product u2ad
swift build -c release --static-swift-stdlib --product u2ad-bench
rm -rf "$out"
mkdir -p "$out/lib" "$out/data/clinical"
cp .build/release/u2ad .build/release/u2ad-bench "$out/"
strip "$out/u2ad" "$out/u2ad-bench"
# Every shared library the binaries load that is not part of the C runtime.
for lib in $(ldd "$out/u2ad" "$out/u2ad-bench" | awk '/=>/ {print $3}' | sort -u); do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;;
    *) cp -L "$lib" "$out/lib/" ;;
  esac
done
samples=../shared/data/u2ad-samples/clinical
if [ -d "$samples" ]; then cp "$samples"/*.npy "$out/data/clinical/"; else echo "note: $samples not found; the detect steps will be skipped"; fi
git rev-parse HEAD > "$out/commit"
tar -cJf "$out.tar.xz" -C "$(dirname "$out")" "$(basename "$out")"
du -sh "$out" "$out.tar.xz"
