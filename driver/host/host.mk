# host.mk - the user-mode host library and its tests. Included by driver/Makefile.
#
#   make -C driver host        $(BUILD)/host/libhiveguardhost.so; with HOST_LIB_DEST set
#                              (Maven passes target/classes/linux-x86-64) also copied there
#   make -C driver host-test   the host tests through the exported API: a normal build, an
#                              ASan+UBSan build, a TSan build of the multi-threaded cases,
#                              the exported-symbol check, and host-fuzz for $(FUZZ_SECONDS) s
#   make -C driver host-fuzz   libFuzzer on the Win32 surface (random API programs)
#   make -C driver host-bench  cost per raise / per IOCTL against baselines (not a test)
#   make -C driver pump-bench-lib  the C echo agent + native raisers PumpBench loads (mvn -Pbench)
#
# The library is built three times from the same sources (plain, asan, tsan), each into
# its own directory; every test binary finds its library through an $ORIGIN rpath.

HOST_DIR       := $(DRIVER_DIR)/host
HOST_TEST_DIR  := $(DRIVER_DIR)/tests/host
HOST_BUILD     := $(BUILD)/host
HOST_LIB_NAME  := libhiveguardhost.so
HOST_LIB       := $(HOST_BUILD)/$(HOST_LIB_NAME)

HOST_OWN_SRCS  := $(addprefix $(HOST_DIR)/,host_status.c host_handles.c host_instance.c \
                    host_file.c host_request.c host_ioctl.c host_port.c host_sim.c host_utf.c)
HOST_LIB_SRCS  := $(CORE_SRCS) $(PLAT_POSIX_SRC) $(HOST_OWN_SRCS)
HOST_LIB_HDRS  := $(CORE_HDRS) $(HOST_DIR)/hg_host.h $(HOST_DIR)/host_internal.h

HOST_TEST_SRCS := $(wildcard $(HOST_TEST_DIR)/*.c)
HOST_TEST_HDRS := $(wildcard $(HOST_TEST_DIR)/*.h) $(HOST_DIR)/hg_host.h
HOST_EXPORTS   := $(HOST_TEST_DIR)/expected_exports.txt
HOST_FUZZ_SRC  := $(HOST_TEST_DIR)/fuzz/fuzz_host_api.c
HOST_FUZZ_OUT  := $(HOST_BUILD)/fuzz
HOST_FUZZ      := $(HOST_FUZZ_OUT)/fuzz_host_api

HOST_WARN      := -Wall -Wextra -Werror
HOST_CFLAGS    := -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -pthread $(HOST_WARN) \
                  -DHG_HOST_BUILDING $(CORE_INC) -I$(HOST_DIR)
HOST_TCFLAGS   := -std=c11 -D_GNU_SOURCE -O1 -g -pthread $(HOST_WARN) -I$(HOST_DIR)
HOST_ASAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
HOST_TSAN      := -fsanitize=thread
# TSan's shadow layout needs the default 28-bit mmap randomisation or less; only where
# the kernel randomises more does `setarch -R` turn ASLR off for the one run (containers
# often forbid that personality change, so it is not used where it is not needed).
HOST_MMAP_RND_BITS := $(shell cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
HOST_TSAN_RUN  := $(if $(filter-out 28 27 26 25 24 23 22 21 20 19 18,$(HOST_MMAP_RND_BITS)),setarch $(shell uname -m) -R)
# The multi-threaded cases: their names start with mt_.
HOST_TSAN_CASES := mt_

.PHONY: host host-test host-test-plain host-test-asan host-test-tsan host-exports

host: $(HOST_LIB)
ifneq ($(strip $(HOST_LIB_DEST)),)
	@mkdir -p $(HOST_LIB_DEST)
	cp $(HOST_LIB) $(HOST_LIB_DEST)/$(HOST_LIB_NAME)
endif

# $(1) variant dir, $(2) extra flags
define HOST_VARIANT
$(1)/$(HOST_LIB_NAME): $(HOST_LIB_SRCS) $(HOST_LIB_HDRS)
	@mkdir -p $(1)
	$$(CC) $(HOST_CFLAGS) $(2) -shared -Wl,-soname,$(HOST_LIB_NAME) -Wl,--no-undefined \
	    -o $$@ $(HOST_LIB_SRCS)

$(1)/host_tests: $(1)/$(HOST_LIB_NAME) $(HOST_TEST_SRCS) $(HOST_TEST_HDRS)
	$$(CC) $(HOST_TCFLAGS) $(2) -o $$@ $(HOST_TEST_SRCS) -L$(1) -lhiveguardhost \
	    -Wl,-rpath,'$$$$ORIGIN'
endef

$(eval $(call HOST_VARIANT,$(HOST_BUILD),))
$(eval $(call HOST_VARIANT,$(HOST_BUILD)/asan,$(HOST_ASAN)))
$(eval $(call HOST_VARIANT,$(HOST_BUILD)/tsan,$(HOST_TSAN)))

host-exports: $(HOST_LIB) $(HOST_EXPORTS)
	@nm -D --defined-only $(HOST_LIB) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | sort \
	    > $(HOST_BUILD)/exports.txt
	@sort $(HOST_EXPORTS) | diff -u - $(HOST_BUILD)/exports.txt \
	    || { echo "host-exports: the library must export exactly $(HOST_EXPORTS)"; exit 1; }
	@echo "host-exports: exactly the $$(wc -l < $(HOST_EXPORTS)) contract symbols"

# Each run is bounded: a hang must fail the build, not stall it. The cases take
# seconds; the bound is two orders of magnitude above that.
HOST_TEST_LIMIT_S := 600
HOST_RUN          := timeout -k 10 $(HOST_TEST_LIMIT_S)
HOST_RUN_PLAIN    := $(HOST_RUN) $(HOST_BUILD)/host_tests
HOST_RUN_ASAN     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
                     $(HOST_RUN) $(HOST_BUILD)/asan/host_tests
HOST_RUN_TSAN     := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
                     $(HOST_RUN) $(HOST_TSAN_RUN) $(HOST_BUILD)/tsan/host_tests $(HOST_TSAN_CASES)

host-test-plain: $(HOST_BUILD)/host_tests
	$(HOST_RUN_PLAIN)

host-test-asan: $(HOST_BUILD)/asan/host_tests
	$(HOST_RUN_ASAN)

host-test-tsan: $(HOST_BUILD)/tsan/host_tests
	$(HOST_RUN_TSAN)

# The three builds may go in parallel (make -j2); the runs go one after another,
# so sanitizer runs do not compete with each other for the two cores.
host-test: host-exports $(HOST_BUILD)/host_tests $(HOST_BUILD)/asan/host_tests \
           $(HOST_BUILD)/tsan/host_tests $(HOST_FUZZ) $(HOST_FUZZ_OUT)/seeds.stamp
	$(HOST_RUN_PLAIN)
	$(HOST_RUN_ASAN)
	$(HOST_RUN_TSAN)
	$(MAKE) --no-print-directory host-fuzz

# ---- benchmark (not part of host-test: numbers are reported, never asserted) ----
HOST_BENCH_SRC := $(HOST_TEST_DIR)/bench/host_bench.c
HOST_BENCH     := $(HOST_BUILD)/host_bench

$(HOST_BENCH): $(HOST_LIB) $(HOST_BENCH_SRC) $(HOST_DIR)/hg_host.h
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -pthread $(HOST_WARN) -I$(HOST_DIR) -o $@ $(HOST_BENCH_SRC) \
	    -L$(HOST_BUILD) -lhiveguardhost -Wl,-rpath,'$$ORIGIN'

.PHONY: host-bench
host-bench: $(HOST_BENCH)
	$(HOST_BENCH) $(HOST_BENCH_ARGS)

# The native half of the agent bench (PumpBench, `mvn -Pbench`): a C echo agent and
# native raisers in a library the JVM loads next to the host library (it links the
# host library by soname, so both share the one simulated driver the JVM loaded).
# PUMP_BENCH_LIB_DEST: where Maven wants it (the test class path's linux-x86-64/).
PUMP_BENCH_SRC := $(HOST_TEST_DIR)/bench/pump_bench_native.c
PUMP_BENCH_LIB := $(HOST_BUILD)/libhgpumpbench.so

$(PUMP_BENCH_LIB): $(HOST_LIB) $(PUMP_BENCH_SRC) $(HOST_DIR)/hg_host.h
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -pthread $(HOST_WARN) -I$(HOST_DIR) \
	    -shared -o $@ $(PUMP_BENCH_SRC) -L$(HOST_BUILD) -lhiveguardhost -Wl,-rpath,'$$ORIGIN'

.PHONY: pump-bench-lib
pump-bench-lib: $(PUMP_BENCH_LIB)
ifneq ($(strip $(PUMP_BENCH_LIB_DEST)),)
	@mkdir -p $(PUMP_BENCH_LIB_DEST)
	cp $(PUMP_BENCH_LIB) $(PUMP_BENCH_LIB_DEST)/libhgpumpbench.so
endif

# ---- fuzzing the Win32 surface (libFuzzer, clang) ----
#   host-fuzz   random API programs (handles, IOCTLs, cancels, closes, raises, resets)
#               for $(FUZZ_SECONDS) s; a finding fails and leaves its input in $(HOST_FUZZ_OUT)
# Programs longer than this add little: every state is a few dozen calls away.
HOST_FUZZ_MAX_LEN := 4096
HOST_FUZZ_SEEDS   := $(wildcard $(HOST_TEST_DIR)/fuzz/seeds/*.txt)

# Seeds are kept as readable decimal bytes; comments start with '#'.
$(HOST_FUZZ_OUT)/seeds.stamp: $(HOST_FUZZ_SEEDS)
	@mkdir -p $(HOST_FUZZ_OUT)/seeds
	@for f in $(HOST_FUZZ_SEEDS); do \
	    grep -v '^#' $$f | LC_ALL=C awk '{for (i = 1; i <= NF; i++) printf "%c", $$i}' \
	        > $(HOST_FUZZ_OUT)/seeds/$$(basename $$f .txt); \
	done
	@touch $@

$(HOST_FUZZ): $(HOST_FUZZ_SRC) $(HOST_LIB_SRCS) $(HOST_LIB_HDRS)
	@mkdir -p $(HOST_FUZZ_OUT)
	$(CLANG) -std=c11 -D_GNU_SOURCE -O1 -g -pthread $(HOST_WARN) -DHG_HOST_BUILDING $(CORE_INC) \
	    -I$(HOST_DIR) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ $(HOST_FUZZ_SRC) $(HOST_LIB_SRCS)

.PHONY: host-fuzz
host-fuzz: $(HOST_FUZZ) $(HOST_FUZZ_OUT)/seeds.stamp
	@mkdir -p $(HOST_FUZZ_OUT)/corpus
	$(HOST_RUN) $(HOST_FUZZ) -max_total_time=$(FUZZ_SECONDS) -max_len=$(HOST_FUZZ_MAX_LEN) \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=$(HOST_FUZZ_OUT)/finding- \
	    -print_final_stats=1 $(HOST_FUZZ_OUT)/corpus $(HOST_FUZZ_OUT)/seeds > $(HOST_FUZZ_OUT)/fuzz.log 2>&1; rc=$$?; \
	grep -E 'Done|stat::number_of_executed_units|ERROR|SUMMARY|contract' $(HOST_FUZZ_OUT)/fuzz.log; \
	echo "host-fuzz: exit $$rc (log: $(HOST_FUZZ_OUT)/fuzz.log)"; exit $$rc
