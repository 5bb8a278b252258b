# SPDX-License-Identifier: MIT
# The user-facing verbs. Everything real happens in Meson (build/).
BUILD   ?= build
DB      ?= var/socialgate.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all deps build run test bench format clean

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# First run: create var/ with a database, a key file and the credentials.
run: build
	@mkdir -p var
	@if [ ! -f $(DB) ]; then \
	    umask 077; $(BUILD)/socialgate init --db $(DB) --public-url http://$(LISTEN) \
	        > var/credentials.txt || { rm -f var/credentials.txt; exit 1; }; \
	fi
	@cat var/credentials.txt
	@exec $(BUILD)/socialgate serve --db $(DB) --listen $(LISTEN)

test: build
	meson test -C $(BUILD) --print-errorlogs

# The benchmark (bench/README.md): an optimised build of its own, then
# bench/run. QUICK=1: one run of 3 s per scenario. STRICT=1: fail on a
# missed target.
BENCH_BUILD ?= build-bench
bench: deps
	@[ -f $(BENCH_BUILD)/build.ninja ] || \
	    meson setup $(BENCH_BUILD) --buildtype=release -Dblackbox=false -Dbench=true
	@ninja -C $(BENCH_BUILD) socialgate bench/bench-baseline
	@/usr/bin/python3 bench/run --build-dir $(BENCH_BUILD) \
	    $(if $(filter-out 0,$(QUICK)),--quick) $(if $(filter-out 0,$(STRICT)),--strict)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
