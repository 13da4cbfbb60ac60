#!/usr/bin/env bash
# Installs the system packages u2ad builds and tests against (Debian/Ubuntu; run as root or with sudo).
set -euo pipefail
packages=(ocl-icd-opencl-dev opencl-headers libopenblas-dev pocl-opencl-icd zlib1g-dev clinfo openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
