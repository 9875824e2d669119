# Tape: `make run` and `make test` work on a fresh Debian machine with Swift installed.
SWIFT ?= swift
DATA ?= data
APT_PACKAGES := liblz4-dev libsqlite3-dev lz4 pkg-config
BENCH_PACKAGES := wrk nginx-light curl
# The chart page is tested in a real headless browser.
TEST_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Installs the listed Debian packages that are missing, and only those.
define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

.PHONY: all deps python-deps build run test bench soak soak-load clean

all: build

deps:
	$(call install_missing,$(APT_PACKAGES))

build: deps
	$(SWIFT) build -c release

# Builds and starts the server on the demo data (the embedded default).
run: build
	.build/release/tape serve --demo --data $(DATA)

# The official Kite client, which the /ws/kite tests drive, and websockets, which drives chromium over the
# DevTools protocol (pip; Debian's Python needs --break-system-packages).
PYTHON ?= python3
python-deps:
	@$(PYTHON) -m pip --version >/dev/null 2>&1 || { echo "installing: python3 python3-pip"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 python3-pip; }
	@$(PYTHON) -c 'import kiteconnect, websockets.sync.client' 2>/dev/null || { echo "installing: kiteconnect websockets (pip)"; \
		$(PYTHON) -m pip install -q kiteconnect 'websockets>=12' 2>/dev/null || \
		$(PYTHON) -m pip install -q --break-system-packages kiteconnect 'websockets>=12'; }

# Builds and runs every test (Swift Testing).
test: deps python-deps
	$(call install_missing,$(TEST_PACKAGES))
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

# Benchmarks against their peers (wrk and nginx for HTTP); a table and a JSON line per suite.
bench: build
	$(call install_missing,$(BENCH_PACKAGES))
	.build/release/tape-bench all

# The long reliability run (README, "Hostile input, damaged logs and make soak"): the fuzzers at 1,000,000 inputs each
# with a new seed, 10,000 corruption cases, 200 kill -9 crash cycles (make test runs 10; TAPE_CRASH_SEED repeats a run),
# the load test, and schemathesis against a demo server. Every part runs even when an earlier one failed; the run fails
# at the end, naming the parts that did.
SOAK_SEED ?= $(shell date +%s)
soak: build
	$(SWIFT) build --build-tests
	$(call install_missing,$(BENCH_PACKAGES))
	@command -v schemathesis >/dev/null || { echo "installing: schemathesis (pip)"; \
		$(PYTHON) -m pip install -q schemathesis 2>/dev/null || $(PYTHON) -m pip install -q --break-system-packages schemathesis; }
	@failed=""; seed=$(SOAK_SEED); echo "soak: fuzz seed $$seed (SOAK_SEED=$$seed make soak repeats it)"; \
	TAPE_FUZZ_INPUTS=1000000 TAPE_FUZZ_SEED=$$seed TAPE_CORRUPTION_CASES=10000 TAPE_CRASH_CYCLES=$${TAPE_CRASH_CYCLES:-200} \
		TAPE_EXECUTABLE=$(CURDIR)/.build/release/tape \
		$(SWIFT) test --skip-build --disable-xctest --filter ReliabilityTests || failed="$$failed reliability-suites"; \
	.build/release/tape-bench load --require-targets || failed="$$failed load"; \
	Tests/Scripts/schemathesis_soak.sh || failed="$$failed schemathesis"; \
	if [ -n "$$failed" ]; then echo "soak: FAILED:$$failed"; exit 1; fi; echo "soak: every part passed"

# The load test of the reliability suite: wrk, 1,000 WebSocket sessions and the feed at once.
soak-load: build
	$(call install_missing,$(BENCH_PACKAGES))
	.build/release/tape-bench load

clean:
	rm -rf .build
