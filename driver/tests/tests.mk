# tests.mk - `make -C driver test`: the core's checks. Included by driver/Makefile.
#
# `test` runs its stages one after another (each may build in parallel):
# the timing bounds must not be measured while fuzzers or TSan compete for
# the same cores. Every stage's binary prints "N passed, N failed" or fails.
#
#   core-compile   every core file compiled as the kernel build does
#                  (mingw-w64, freestanding) and by gcc and clang on Linux,
#                  warnings as errors, stack frames checked
TEST_BUILD := $(BUILD)/tests
empty :=
space := $(empty) $(empty)
WARN       := -Wall -Wextra -Werror
# The kernel stack is 24 KiB on x64 and the registry callback runs on whatever
# the registry caller left of it: no core frame may come near 1 KiB, so the
# limit enforced is half that (the largest today, hg_core_raise, is ~350 B).
FRAME_LIMIT := -Wframe-larger-than=512
# Kernel code must not touch the FPU/SSE state without saving it
# (KeSaveExtendedProcessorState): the core uses general registers only.
KERNEL_ONLY_FLAGS := -mgeneral-regs-only
# The only symbols a core object may import besides its own and the
# platform's: the three memory routines ntoskrnl exports.
CORE_ALLOWED_IMPORTS := memcpy memset memcmp

CORE_KERNEL_OBJS := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/kernel/%.o,$(CORE_SRCS))
CORE_GCC_OBJS    := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/gcc/%.o,$(CORE_SRCS))
CORE_CLANG_OBJS  := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/clang/%.o,$(CORE_SRCS))

.PHONY: core-compile
core-compile: $(CORE_KERNEL_OBJS) $(CORE_GCC_OBJS) $(CORE_CLANG_OBJS)
	@bad=$$(x86_64-w64-mingw32-nm -u $(CORE_KERNEL_OBJS) | awk 'NF==2 {print $$2}' | sort -u | \
		grep -v '^hg_' | grep -vxE '$(subst $(space),|,$(CORE_ALLOWED_IMPORTS))' || true); \
	if [ -n "$$bad" ]; then echo "core-compile: core imports beyond $(CORE_ALLOWED_IMPORTS): $$bad"; exit 1; fi
	@echo "core-compile: $(words $(CORE_SRCS)) files OK with mingw-w64 (freestanding, general registers only), gcc and clang; imports limited to hg_* and $(CORE_ALLOWED_IMPORTS)"

$(TEST_BUILD)/kernel/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 -ffreestanding $(KERNEL_ONLY_FLAGS) $(WARN) $(FRAME_LIMIT) -O2 $(CORE_INC) -c $< -o $@

$(TEST_BUILD)/gcc/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	gcc -std=c11 $(WARN) $(FRAME_LIMIT) -O2 $(CORE_INC) -c $< -o $@

$(TEST_BUILD)/clang/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c11 $(WARN) $(FRAME_LIMIT) -O2 $(CORE_INC) -c $< -o $@


# ---- unit tests ---------------------------------------------------------------
#   unit           every core function, plain gcc build
#   unit-asan      the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
UNIT_DIR    := $(DRIVER_DIR)/tests/unit
UNIT_SRCS   := $(wildcard $(UNIT_DIR)/*.c)
UNIT_HDRS   := $(wildcard $(UNIT_DIR)/*.h) $(CORE_HDRS)
SUPPORT_SRC := $(UNIT_DIR)/support.c
TEST_CFLAGS := -std=c11 $(WARN) -g -pthread $(CORE_INC) -I$(UNIT_DIR)
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(TEST_BUILD)/unit: $(UNIT_SRCS) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O2 $(UNIT_SRCS) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

$(TEST_BUILD)/unit-asan: $(UNIT_SRCS) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O1 $(SAN_FLAGS) $(UNIT_SRCS) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

.PHONY: unit unit-asan
unit: $(TEST_BUILD)/unit
	$(TEST_BUILD)/unit
unit-asan: $(TEST_BUILD)/unit-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(TEST_BUILD)/unit-asan


# ---- concurrency and timing -------------------------------------------------------
#   stress-tsan    >= 8 raisers, 100,000 operations per run, consumers parking,
#                  replying and cancelling, disconnects mid-flight; ThreadSanitizer
#   timing         verdict timeout -> fail mode within timeout + 10 ms; no client /
#                  nothing parked -> default without waiting
STRESS_DIR := $(DRIVER_DIR)/tests/stress

$(TEST_BUILD)/stress-tsan: $(STRESS_DIR)/stress.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(TEST_CFLAGS) -O1 -fsanitize=thread $(STRESS_DIR)/stress.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

$(TEST_BUILD)/timing: $(STRESS_DIR)/timing.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O2 $(STRESS_DIR)/timing.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

.PHONY: stress-tsan timing
stress-tsan: $(TEST_BUILD)/stress-tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TEST_BUILD)/stress-tsan
timing: $(TEST_BUILD)/timing
	$(TEST_BUILD)/timing


# ---- golden vectors -----------------------------------------------------------------
#   vectors        writes <name>.bin/.txt for every message type into $(VECTORS_DIR)
#                  and builds $(VECTORS_DIR)/check_vectors (see tests/golden/README.md)
#   vectors-selftest  check_vectors accepts identical bytes and rejects a changed byte
VECTORS_DIR ?= $(BUILD)/vectors
GOLDEN_DIR  := $(DRIVER_DIR)/tests/golden
GOLDEN_COMMON := $(GOLDEN_DIR)/golden_config.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC)
GOLDEN_CFLAGS := $(TEST_CFLAGS) -O1 -I$(GOLDEN_DIR)

$(TEST_BUILD)/golden/emit_vectors: $(GOLDEN_DIR)/emit_vectors.c $(GOLDEN_DIR)/vectors.h $(GOLDEN_COMMON) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GOLDEN_CFLAGS) $(GOLDEN_DIR)/emit_vectors.c $(GOLDEN_COMMON) -o $@

$(TEST_BUILD)/golden/check_vectors: $(GOLDEN_DIR)/check_vectors.c $(GOLDEN_DIR)/vectors.h $(GOLDEN_COMMON) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GOLDEN_CFLAGS) $(GOLDEN_DIR)/check_vectors.c $(GOLDEN_COMMON) -o $@

.PHONY: vectors vectors-selftest
vectors: $(TEST_BUILD)/golden/emit_vectors $(TEST_BUILD)/golden/check_vectors
	@mkdir -p $(VECTORS_DIR)/java
	$(TEST_BUILD)/golden/emit_vectors $(VECTORS_DIR)
	cp $(TEST_BUILD)/golden/check_vectors $(VECTORS_DIR)/check_vectors

SELFTEST_DIR := $(TEST_BUILD)/vectors-selftest
vectors-selftest: $(TEST_BUILD)/golden/emit_vectors $(TEST_BUILD)/golden/check_vectors
	rm -rf $(SELFTEST_DIR) && mkdir -p $(SELFTEST_DIR)/java
	$(TEST_BUILD)/golden/emit_vectors $(SELFTEST_DIR)
	cp $(SELFTEST_DIR)/config.bin $(SELFTEST_DIR)/reply.bin $(SELFTEST_DIR)/hello_request.bin $(SELFTEST_DIR)/java/
	$(TEST_BUILD)/golden/check_vectors $(SELFTEST_DIR)
	printf '\001' | dd of=$(SELFTEST_DIR)/java/config.bin bs=1 seek=20 conv=notrunc status=none
	! $(TEST_BUILD)/golden/check_vectors $(SELFTEST_DIR)
	@echo "vectors-selftest: identical vectors pass, a changed byte fails"


# ---- fuzzing ----------------------------------------------------------------------------
#   fuzz           one libFuzzer target per parser of agent-supplied input (HELLO,
#                  CONFIGURE, REPLY, GET_EVENTS), each run for $(FUZZ_SECONDS) s,
#                  seeded from the golden vectors; a finding fails the build and
#                  leaves its input in $(TEST_BUILD)/fuzz/
FUZZ_DIR     := $(DRIVER_DIR)/tests/fuzz
FUZZ_TARGETS := hello configure reply get_events
FUZZ_OUT     := $(TEST_BUILD)/fuzz
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Inputs beyond 16 KiB only slow the search: every limit the parsers check is
# reachable with smaller buffers (counts are checked against the length).
FUZZ_MAX_LEN := 16384

$(FUZZ_OUT)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz_common.h $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(TEST_CFLAGS) -I$(FUZZ_DIR) -O1 $(FUZZ_FLAGS) $< $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

# Seeds: the golden vectors of the matching message type.
$(FUZZ_OUT)/seeds.stamp: $(TEST_BUILD)/golden/emit_vectors
	rm -rf $(FUZZ_OUT)/vectors $(FUZZ_OUT)/seeds-*
	mkdir -p $(FUZZ_OUT)/vectors $(addprefix $(FUZZ_OUT)/seeds-,$(FUZZ_TARGETS))
	$(TEST_BUILD)/golden/emit_vectors $(FUZZ_OUT)/vectors
	cp $(FUZZ_OUT)/vectors/hello_request.bin $(FUZZ_OUT)/seeds-hello/
	cp $(FUZZ_OUT)/vectors/config.bin $(FUZZ_OUT)/seeds-configure/
	cp $(FUZZ_OUT)/vectors/reply.bin $(FUZZ_OUT)/seeds-reply/
	cp $(FUZZ_OUT)/vectors/event_batch.bin $(FUZZ_OUT)/vectors/inject.bin $(FUZZ_OUT)/seeds-get_events/
	touch $@

.PHONY: fuzz $(addprefix fuzz-,$(FUZZ_TARGETS))
fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))
$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(FUZZ_OUT)/fuzz_% $(FUZZ_OUT)/seeds.stamp
	@mkdir -p $(FUZZ_OUT)/corpus-$*
	$(FUZZ_OUT)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=$(FUZZ_OUT)/finding-$*- -print_final_stats=1 \
		$(FUZZ_OUT)/corpus-$* $(FUZZ_OUT)/seeds-$* > $(FUZZ_OUT)/fuzz-$*.log 2>&1; rc=$$?; \
	grep -E 'Done|stat::number_of_executed_units|ERROR|SUMMARY|invariant' $(FUZZ_OUT)/fuzz-$*.log; \
	echo "fuzz-$*: exit $$rc (log: $(FUZZ_OUT)/fuzz-$*.log)"; exit $$rc


# ---- the whole suite ------------------------------------------------------------------------
# host-test belongs to driver/host/host.mk; it joins the suite once that file defines it.
HOST_TEST_DEFINED := $(shell grep -qs '^host-test *:' $(DRIVER_DIR)/host/host.mk && echo yes)
TEST_STAGES := core-compile "unit unit-asan" stress-tsan timing vectors-selftest fuzz
ifeq ($(HOST_TEST_DEFINED),yes)
TEST_STAGES += host-test
endif

test:
	@set -e; for stage in $(TEST_STAGES); do \
		echo "==== make test: $$stage"; \
		$(MAKE) --no-print-directory -C $(DRIVER_DIR) $$stage; \
	done; echo "==== make test: all stages passed"

# ---- benchmark (not part of `test`) ------------------------------------------------------
#   bench-core     prefix matching: the core's trie vs a per-prefix compare, side by side
$(TEST_BUILD)/bench_match: $(STRESS_DIR)/bench_match.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O2 $(STRESS_DIR)/bench_match.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

.PHONY: bench-core
bench-core: $(TEST_BUILD)/bench_match
	$(TEST_BUILD)/bench_match

#   bench-fastpath           filtered-out operations/s from 1, 2, 8, 16 threads through the
#                            real hg_core_raise, beside a one-lock-hold-per-op baseline
#   bench-fastpath-callgrind instructions per filtered-out operation inside hg_core_raise
#                            (valgrind --tool=callgrind, BENCH_CALLGRIND_OPS operations)
# Results and how to read them: tests/host/bench/README.md.
BENCH_CALLGRIND_OPS ?= 100000
$(TEST_BUILD)/bench_fastpath: $(STRESS_DIR)/bench_fastpath.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O2 $(STRESS_DIR)/bench_fastpath.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

.PHONY: bench-fastpath bench-fastpath-callgrind
bench-fastpath: $(TEST_BUILD)/bench_fastpath
	$(TEST_BUILD)/bench_fastpath

# Only hg_core_raise and what it calls are counted (--toggle-collect), so set-up
# and teardown are left out; the total divided by the operations is the cost of one.
bench-fastpath-callgrind: $(TEST_BUILD)/bench_fastpath
	@rm -f $(TEST_BUILD)/callgrind.fastpath.out
	valgrind --tool=callgrind --toggle-collect=hg_core_raise \
		--callgrind-out-file=$(TEST_BUILD)/callgrind.fastpath.out \
		$(TEST_BUILD)/bench_fastpath --callgrind $(BENCH_CALLGRIND_OPS) 2>/dev/null
	@ir=$$(callgrind_annotate $(TEST_BUILD)/callgrind.fastpath.out 2>/dev/null | \
		awk '/PROGRAM TOTALS/ {gsub(",","",$$1); print $$1; exit}'); \
	echo "instructions per filtered-out operation (hg_core_raise inclusive): $$ir / $(BENCH_CALLGRIND_OPS) = $$(awk -v ir=$$ir -v n=$(BENCH_CALLGRIND_OPS) 'BEGIN {printf "%.1f", ir / n}')"

#   bench-pattern  instructions per filtered-out operation with 0..2000 SUFFIX/CONTAINS
#                  patterns (callgrind), next to a one-pattern-at-a-time baseline, and
#                  what CONFIGURE's compile costs (time, memory)
#                  BENCH_BASE=<git revision>: the same bench built from that revision's
#                  driver/ too and run beside it in the same run ("before" columns)
BENCH_BASE ?=
$(TEST_BUILD)/bench_pattern: $(STRESS_DIR)/bench_pattern.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -O2 $(STRESS_DIR)/bench_pattern.c $(SUPPORT_SRC) $(CORE_SRCS) $(PLAT_POSIX_SRC) -o $@

# The base revision's sources, unpacked from git (never checked out over the
# work tree), built with the same compiler and flags.
BENCH_BASE_DIR := $(TEST_BUILD)/bench-base
.PHONY: bench-pattern-base
bench-pattern-base:
	@test -n "$(BENCH_BASE)" || { echo "BENCH_BASE=<git revision> is required"; exit 2; }
	rm -rf $(BENCH_BASE_DIR) && mkdir -p $(BENCH_BASE_DIR)
	git -C $(DRIVER_DIR) archive --format=tar $(BENCH_BASE) . | tar -x -C $(BENCH_BASE_DIR)
	$(CC) $(subst $(DRIVER_DIR)/,$(BENCH_BASE_DIR)/,$(TEST_CFLAGS)) -O2 \
		$(subst $(DRIVER_DIR)/,$(BENCH_BASE_DIR)/,$(STRESS_DIR)/bench_pattern.c $(SUPPORT_SRC) $(PLAT_POSIX_SRC)) \
		$$(ls $(BENCH_BASE_DIR)/core/*.c) -o $(BENCH_BASE_DIR)/bench_pattern

.PHONY: bench-pattern
bench-pattern: $(TEST_BUILD)/bench_pattern $(if $(BENCH_BASE),bench-pattern-base)
	$(STRESS_DIR)/bench_pattern.sh $(TEST_BUILD)/bench_pattern $(if $(BENCH_BASE),$(BENCH_BASE_DIR)/bench_pattern)
