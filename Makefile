# SPDX-License-Identifier: MIT
# The user-facing verbs. Everything real happens in Meson (build/).
BUILD   ?= build
DB      ?= var/socialgate.db
LISTEN  ?= 127.0.0.1:8080
PREFIX  ?= /usr/local

.PHONY: all deps build install run test test-sanitize bench soak fuzz format clean

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# The binary, socialgate(1) and the systemd unit under PREFIX (an absolute
# path; the unit's ExecStart names PREFIX/bin/socialgate). DESTDIR stages
# them for a package instead.
install: build
	meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX))
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

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
	@$(MAKE) --no-print-directory test-sanitize

# The unit, in-process, black-box and fuzz-replay suites again, built with
# AddressSanitizer and UndefinedBehaviorSanitizer: any report fails the run
# (leaks included; a leaking server exits non-zero, which the black-box
# suite checks at every stop).
SAN_BUILD ?= build-asan
test-sanitize: deps
	@[ -f $(SAN_BUILD)/build.ninja ] || meson setup $(SAN_BUILD) -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dbench=false -Dc_args=-fno-sanitize-recover=all
	@ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    meson test -C $(SAN_BUILD) --print-errorlogs --suite unit --suite api --suite fuzz --suite blackbox

# The benchmark (bench/README.md): an optimised build of its own, then
# bench/run. QUICK=1: one run of 3 s per scenario. STRICT=1: fail on a
# missed target.
BENCH_BUILD ?= build-bench
bench: deps
	@[ -f $(BENCH_BUILD)/build.ninja ] || \
	    meson setup $(BENCH_BUILD) --buildtype=release -Dblackbox=false -Dbench=true
	@ninja -C $(BENCH_BUILD) socialgate bench/bench-baseline bench/bench-mint
	@/usr/bin/python3 bench/run --build-dir $(BENCH_BUILD) \
	    $(if $(filter-out 0,$(QUICK)),--quick) $(if $(filter-out 0,$(STRICT)),--strict)

# The soak test (bench/soak): the benchmark's release build, then mixed
# load for SOAK_SECONDS (default 600); fails on any error or on RSS growing
# 10 % or more after the warm-up. Not part of make test.
SOAK_SECONDS ?= 600
soak: deps
	@[ -f $(BENCH_BUILD)/build.ninja ] || \
	    meson setup $(BENCH_BUILD) --buildtype=release -Dblackbox=false -Dbench=true
	@ninja -C $(BENCH_BUILD) socialgate
	@/usr/bin/python3 bench/soak --build-dir $(BENCH_BUILD) --seconds $(SOAK_SECONDS)

# Fuzzing (tests/fuzz/README.md): a clang build of its own with libFuzzer,
# ASan and UBSan, then each target for FUZZ_SECONDS on a scratch copy of
# its committed corpus. Crash inputs land in $(FUZZ_BUILD)/crashes/<name>/;
# fails when any target crashed. FUZZ_TARGETS picks a subset.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= form multipart basic token scope route provider merge_patch json_patch \
                json_depth etag_list jws profile idp_answer signin saml
fuzz:
	@[ -f $(FUZZ_BUILD)/build.ninja ] || \
	    CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false -Db_sanitize=none \
	        -Dblackbox=false -Dbench=false
	@ninja -C $(FUZZ_BUILD) $(addprefix tests/fuzz/fuzz_,$(FUZZ_TARGETS))
	@failed=""; for t in $(FUZZ_TARGETS); do \
	    echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t; \
	    cp -n tests/fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus/$$t/ 2>/dev/null || true; \
	    dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t $$dict -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ -print_final_stats=1 \
	        $(FUZZ_BUILD)/corpus/$$t > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 \
	        || failed="$$failed $$t"; \
	    tail -n 25 $(FUZZ_BUILD)/fuzz_$$t.log; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (see $(FUZZ_BUILD)/crashes/)"; exit 1; fi; \
	echo "fuzz: no crash"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
