# tests.mk - `make -C driver test`: the core's checks. Included by driver/Makefile.
#
#   core-compile   every core file compiled as the kernel build does
#                  (mingw-w64, freestanding) and by gcc and clang on Linux,
#                  warnings as errors, stack frames checked
TEST_BUILD := $(BUILD)/tests
WARN       := -Wall -Wextra -Werror
# The kernel stack is 12 KiB (x64: 24 KiB) and the registry callback runs on
# whatever is left of the caller's: no core frame may come near 1 KiB.
FRAME_LIMIT := -Wframe-larger-than=1024

CORE_KERNEL_OBJS := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/kernel/%.o,$(CORE_SRCS))
CORE_GCC_OBJS    := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/gcc/%.o,$(CORE_SRCS))
CORE_CLANG_OBJS  := $(patsubst $(CORE_DIR)/%.c,$(TEST_BUILD)/clang/%.o,$(CORE_SRCS))

.PHONY: core-compile
core-compile: $(CORE_KERNEL_OBJS) $(CORE_GCC_OBJS) $(CORE_CLANG_OBJS)
	@echo "core-compile: $(words $(CORE_SRCS)) files OK with mingw-w64 (freestanding), gcc and clang"

$(TEST_BUILD)/kernel/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 -ffreestanding $(WARN) $(FRAME_LIMIT) -O2 $(CORE_INC) -c $< -o $@

$(TEST_BUILD)/gcc/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	gcc -std=c11 $(WARN) $(FRAME_LIMIT) -O2 $(CORE_INC) -c $< -o $@

$(TEST_BUILD)/clang/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c11 $(WARN) -Wframe-larger-than=1024 -O2 $(CORE_INC) -c $< -o $@

test: core-compile

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

test: unit unit-asan

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

test: stress-tsan timing

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

test: vectors-selftest
