# wincni — build, test and run. `make test` and `make demo` set up what is missing themselves (see README.md).
# `make help` prints the lines below that start with "##".
## build          static release binaries in bin/: wincni, hnsctl and the drop-in names (win-bridge, flannel, ...)
## test           every test against the release binaries; one summary line at the end (V=1: every test's line)
## demo           a simulated flannel node: one pod's ADD, CHECK and DEL in host-gw and in vxlan mode
## install        copies bin/ to $DESTDIR$PREFIX (PREFIX=/opt/cni/bin unless given)
## deploy-check   checks deploy/'s Kubernetes manifests against the Kubernetes API schema (also run by test)
## interop        a real libcni runtime and the Go host-local drive wincni (root; installs Debian packages)
## windows-check  the platform layer's Win32 half and the HCN loader, built with mingw and run under wine
## bench          per-pod latency against a C no-op and the Go host-local; writes bench/latest.md
## fuzz           libFuzzer over config decoding and subnet.env (FUZZ_SECONDS=600 make fuzz)
## goldens        regenerates the golden fixtures from what the code does now; read the diff before committing
## lint           swift format lint --strict over Package.swift, Sources and Tests; no platform code in Swift
## fmt            swift format in place
## clean          removes .build and bin
## help           this list
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /opt/cni/bin
DESTDIR ?=
BIN := $(CURDIR)/bin
# Fully static executables: the plugin is exec'd for every pod, and a static Swift + json-c binary starts several
# times faster than one that loads the Swift runtime and Foundation dynamically. Concrete type metadata is reached
# through accessor functions rather than by demangling the type's mangled name at run time, which a pod ADD did
# for some 40 types on every exec (~0.2 M instructions of its ~2.2 M; bench/findings.md, "Third round").
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -static-executable \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors -Xswiftc -use-ld=lld
# The commit compiled into wincni and hnsctl (Package.swift reads it; `wincni` about text, logFile lines, `hnsctl
# --version`): 12 hex digits, `-dirty` when the tree has changes, empty (the binaries say "unknown") outside git.
ifndef WINCNI_COMMIT
WINCNI_COMMIT := $(shell commit=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
	{ git diff --quiet HEAD -- 2>/dev/null || commit=$$commit-dirty; } && echo $$commit)
endif
export WINCNI_COMMIT
DROPINS := win-bridge win-overlay sdnbridge sdnoverlay flannel
APT_PACKAGES := libjson-c-dev libsqlite3-dev pkg-config

.PHONY: all deps deploy-deps build test deploy-check install lint fmt demo goldens bench fuzz interop windows-check clean help

all: build

deps:
	@if pkg-config --exists json-c sqlite3 2>/dev/null && [ -f "$$(pkg-config --variable=libdir json-c)/libjson-c.a" ] \
		&& [ -f "$$(pkg-config --variable=libdir sqlite3)/libsqlite3.a" ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(APT_PACKAGES) with apt-get"; \
		apt-get -o DPkg::Lock::Timeout=300 update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $(APT_PACKAGES) >/dev/null; \
	else \
		echo "wincni needs json-c, SQLite and pkg-config: run 'sudo apt-get install $(APT_PACKAGES)' (or your system's json-c and SQLite development packages) and try again" >&2; \
		exit 1; \
	fi

# The Kubernetes API schema for deploy-check: Debian's python3-kubernetes (its OpenAPI models) and python3-yaml,
# used offline by scripts/check-manifests.py.
DEPLOY_APT_PACKAGES := python3-kubernetes python3-yaml
deploy-deps:
	@if /usr/bin/python3 -c 'import kubernetes.client, yaml' 2>/dev/null; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(DEPLOY_APT_PACKAGES) with apt-get"; \
		apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get -o DPkg::Lock::Timeout=300 install -y -qq $(DEPLOY_APT_PACKAGES) >/dev/null; \
	else \
		echo "deploy-check needs Debian's python3-kubernetes and python3-yaml: run 'sudo apt-get install $(DEPLOY_APT_PACKAGES)'" >&2; \
		exit 1; \
	fi

build: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product wincni
	$(SWIFT) build $(RELEASE_FLAGS) --product hnsctl
	@mkdir -p $(BIN)
	@out=$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path); \
		install -m 0755 "$$out/wincni" "$$out/hnsctl" $(BIN)/; \
		for name in $(DROPINS); do ln -sf wincni $(BIN)/$$name; done
	@echo "built: $$(cd $(BIN) && echo *)"

# Unit tests, golden tests and end-to-end tests against the release binaries in bin/. Warnings are errors here.
# The output is the failures and swift test's closing line ("Test run with N tests in M suites passed after X
# seconds."); V=1 shows every test's line.
V ?= 0
test: build deploy-deps
	WINCNI_WARNINGS_AS_ERRORS=1 $(SWIFT) build --build-tests
	@set -o pipefail; WINCNI_WARNINGS_AS_ERRORS=1 WINCNI_BIN=$(BIN) $(SWIFT) test --skip-build 2>&1 \
		| scripts/test-summary.sh $(V)

# deploy/'s manifests parse as Kubernetes objects of the API schema (ProjectTests check them further).
deploy-check: deploy-deps
	scripts/check-manifests.py deploy/*.yml

# A simulated flannel node (host-gw and vxlan): one pod's ADD, CHECK and DEL with the binaries in bin/.
demo: build
	@scripts/demo.sh

# Regenerates the plugin's golden fixtures from what the code does now. Read `git diff Tests/` before committing.
goldens: deps
	WINCNI_UPDATE_GOLDENS=1 $(SWIFT) test --filter WinCNITests.GoldenTests
	@git --no-pager diff --stat -- Tests/WinCNITests/Fixtures || true

# Per-pod latency against a static C no-op and the Go host-local, scale, throughput; writes bench/latest.md.
bench: build
	bench/run.sh

# Interop with a real libcni runtime (Debian's libcni 1.1.2) and the Go host-local; needs root, installs its Debian
# packages (golang-go, golang-github-appc-cni-dev, containernetworking-plugins) when missing.
interop: build
	@bash interop/run.sh

# libFuzzer over config decoding, validation, policy translation and subnet.env parsing (Fuzz/README.md); a separate
# -sanitize=fuzzer,address build in .build-fuzz, seeded from Fuzz/seeds.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The Win32 half of the platform layer on this Linux machine: every C file compiled with mingw-w64 (-Wall -Werror), the
# platform test natively and under wine, the HCN loader against fake DLLs in a wine prefix's system32. Installs
# gcc-mingw-w64-x86-64 and wine64 from Debian when missing (scripts/windows-check.sh).
windows-check:
	@scripts/windows-check.sh

install: build
	install -d $(DESTDIR)$(PREFIX)
	install -m 0755 $(BIN)/wincni $(BIN)/hnsctl $(DESTDIR)$(PREFIX)/
	for name in $(DROPINS); do ln -sf wincni $(DESTDIR)$(PREFIX)/$$name; done

# Swift has no platform code (DESIGN.md "Modules"): only the two mains may import a platform module or branch on the
# OS; everything else goes through the platform layer (Sources/CPlatform). The simulator is left out until it moves
# onto the platform layer too.
PLATFORM_CODE := import (Glibc|Musl|Darwin|ucrt|WinSDK)\b|\#if os\(|canImport\((Glibc|Musl|Darwin|ucrt|WinSDK)\)
PLATFORM_CODE_ALLOWED := Sources/wincni/main.swift Sources/hnsctl/main.swift

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests
	@found=$$(grep -rnE '$(PLATFORM_CODE)' Sources Tests Fuzz --include='*.swift' \
		| grep -vE "^($$(echo $(PLATFORM_CODE_ALLOWED) | tr ' ' '|'))[/:]" || true); \
	if [ -n "$$found" ]; then \
		echo "platform code outside the platform layer (use Sources/CPlatform through the Platform module):" >&2; \
		echo "$$found" >&2; exit 1; \
	fi

fmt:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build bin

help:
	@sed -n 's/^## /make /p' $(firstword $(MAKEFILE_LIST))
