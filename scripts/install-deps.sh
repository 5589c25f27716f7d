#!/usr/bin/env bash
# Installs the Debian 12 packages llm_cost_exporter needs, only those missing.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the tests need (Prometheus, Alertmanager, python3, Go for the
#                                    chart renderer, Node for the OpenTelemetry clients)
set -euo pipefail

build_pkgs=(build-essential cmake git pkg-config
  prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libsimdjson-dev libsqlite3-dev catch2 libbenchmark-dev libcctz-dev tzdata
  libssl-dev libcrypt-dev libprotobuf-dev protobuf-compiler zlib1g-dev libxxhash-dev libpq-dev)
# golang-go + Go sources: the Helm chart renderer of tests/helm (Helm is not in Debian 12).
# clang + its runtime: the libFuzzer targets of fuzz_test/ (scripts/fuzz.sh);
# clang-format (14): the style check of every C++ file (.clang-format).
# postgresql (15): the tests' own throw-away cluster (tests/postgres/cluster.sh) and psql.
test_pkgs=(prometheus prometheus-alertmanager python3 python3-yaml curl chromium openssl
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
  clang libclang-rt-14-dev ninja-build clang-format postgresql)

# Node and npm run the real OpenTelemetry clients of tests/otel-clients; a
# machine that already has them (e.g. from another repository) keeps its own.
command -v npm >/dev/null || test_pkgs+=(nodejs npm)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
