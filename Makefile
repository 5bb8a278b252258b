# SPDX-License-Identifier: MIT
# The user-facing verbs. Everything real happens in Meson (build/).
BUILD   ?= build
DB      ?= var/socialgate.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all deps build run test format clean

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

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
