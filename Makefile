# Tape: `make run` and `make test` work on a fresh Debian machine with Swift installed.
SWIFT ?= swift
DATA ?= data
APT_PACKAGES := liblz4-dev libsqlite3-dev lz4 pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test bench clean

all: build

# Installs the system libraries only when some are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# Builds and starts the server on the demo data (the embedded default).
run: build
	.build/release/tape serve --demo --data $(DATA)

# Builds and runs every test (Swift Testing).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

# Benchmarks against their peers; prints tables and a JSON line per suite.
bench: build
	.build/release/tape-bench all

clean:
	rm -rf .build
