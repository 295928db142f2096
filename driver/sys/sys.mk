# sys.mk - hiveguard.sys (release) and hiveguard-test.sys, cross-built with
# mingw-w64, plus the Wine end-to-end suite and test signing. Included by
# driver/Makefile, which provides DRIVER_DIR, BUILD, MINGW_CC, CORE_SRCS and
# CORE_INC.
#
#   make -C driver sys        both images; fails if the release image imports
#                             anything but ntoskrnl.exe/hal.dll or carries any
#                             injection code
#   make -C driver sign       test-signs the release image (inf/sign-test.sh)
#   make -C driver wine-test  the test image as a kernel service in a fresh
#                             Wine prefix, driven by driver/tests/wine
SYS_DIR        := $(DRIVER_DIR)/sys
SYS_OUT        := $(BUILD)/sys
WINE_TEST_DIR  := $(DRIVER_DIR)/tests/wine
MINGW_PREFIX   ?= x86_64-w64-mingw32-
MINGW_OBJDUMP  ?= $(MINGW_PREFIX)objdump
MINGW_NM       ?= $(MINGW_PREFIX)nm
MINGW_STRIP    ?= $(MINGW_PREFIX)strip
WINE           ?= wine
WINESERVER     ?= wineserver
# Whole suite, Wine start-up included; each step also has its own timeout.
WINE_TEST_TIMEOUT ?= 600

# The DDK headers are the ddk/ folder of the compiler's own include tree
# (mingw-w64-x86-64-dev). Asked from the compiler, once, only when used.
SYS_DDK_INC = $(eval SYS_DDK_INC := $$(firstword $$(wildcard $$(addsuffix /ddk,$$(shell echo | $(MINGW_CC) -xc -E -v - 2>&1 | sed -n 's/^ \(\/.*\)$$$$/\1/p')))))$(SYS_DDK_INC)

SYS_GLUE_SRCS  := $(addprefix $(SYS_DIR)/,driver.c device.c irpqueue.c callback.c capture.c platform_kernel.c)
SYS_ASM_SRCS   := $(SYS_DIR)/seh_copy.S
SYS_TEST_SRCS  := $(SYS_DIR)/inject.c
SYS_HDRS       := $(SYS_DIR)/hg_sys.h $(SYS_DIR)/hg_inject_abi.h $(CORE_HDRS)

# Kernel code: no CRT, no stack protector runtime, no red zone (interrupts
# share the stack), no SSE/x87 (the compiler must not touch vector state the
# kernel does not save for us), frames bounded (the x64 kernel stack is
# 24 KiB and the registry callback runs deep in someone else's call chain),
# unwind tables kept (.pdata is what SEH and stack walks use). Warnings are
# errors for the glue and the core alike; the limits match core's own
# kernel-compile check (driver/tests/tests.mk).
SYS_FRAME_LIMIT := 512
SYS_CFLAGS     = -std=gnu11 -O2 -Wall -Wextra -Werror -Wframe-larger-than=$(SYS_FRAME_LIMIT) \
                 -ffreestanding -fno-stack-protector \
                 -mno-red-zone -mgeneral-regs-only -fno-strict-aliasing -fno-omit-frame-pointer \
                 -D_WIN32_WINNT=0x0A00 -DNTDDI_VERSION=0x0A000000 \
                 -I$(SYS_DDK_INC) $(CORE_INC)
SYS_LDFLAGS    = -nostdlib -nostartfiles -Wl,--subsystem,native -Wl,--entry,DriverEntry \
                 -Wl,--image-base,0x140000000 -Wl,--dynamicbase -Wl,--nxcompat \
                 -Wl,--file-alignment,0x200 -Wl,--section-alignment,0x1000 \
                 -Wl,--disable-auto-import
SYS_LIBS       := -lntoskrnl -lhal

SYS_RELEASE    := $(SYS_OUT)/hiveguard.sys
SYS_TEST       := $(SYS_OUT)/hiveguard-test.sys
WINE_CLIENT    := $(SYS_OUT)/hgwinetest.exe

.PHONY: sys sys-check sign wine-test

sys: $(SYS_RELEASE) $(SYS_TEST) sys-check

# Unstripped link first: the checks read its symbol table, then the shipped
# image is stripped of symbols (kept in the .full file for debugging).
$(SYS_OUT)/hiveguard.full: $(SYS_GLUE_SRCS) $(SYS_ASM_SRCS) $(CORE_SRCS) $(SYS_HDRS) $(SYS_DIR)/sys.mk
	@mkdir -p $(SYS_OUT)
	$(MINGW_CC) $(SYS_CFLAGS) $(SYS_LDFLAGS) -o $@ $(SYS_GLUE_SRCS) $(SYS_ASM_SRCS) $(CORE_SRCS) $(SYS_LIBS)

$(SYS_OUT)/hiveguard-test.full: $(SYS_GLUE_SRCS) $(SYS_TEST_SRCS) $(SYS_ASM_SRCS) $(CORE_SRCS) $(SYS_HDRS) $(SYS_DIR)/sys.mk
	@mkdir -p $(SYS_OUT)
	$(MINGW_CC) $(SYS_CFLAGS) -DHG_TEST_BUILD $(SYS_LDFLAGS) -o $@ $(SYS_GLUE_SRCS) $(SYS_TEST_SRCS) $(SYS_ASM_SRCS) $(CORE_SRCS) $(SYS_LIBS)

$(SYS_OUT)/%.sys: $(SYS_OUT)/%.full
	$(MINGW_STRIP) --strip-all -o $@ $<

# Release image: imports only from ntoskrnl.exe and hal.dll (printed), and no
# injection path - neither a symbol nor the inject device's name, in ASCII or
# UTF-16. The test image must have both, or the check itself is broken.
sys-check: $(SYS_RELEASE) $(SYS_TEST)
	@$(SYS_DIR)/check-image.sh "$(MINGW_OBJDUMP)" "$(MINGW_NM)" \
	    $(SYS_OUT)/hiveguard.full $(SYS_RELEASE) $(SYS_OUT)/hiveguard-test.full $(SYS_TEST)

sign: $(SYS_RELEASE)
	$(DRIVER_DIR)/../inf/sign-test.sh $(SYS_RELEASE) $(SYS_OUT)/signing

$(WINE_CLIENT): $(wildcard $(WINE_TEST_DIR)/*.c) $(wildcard $(WINE_TEST_DIR)/*.h) $(SYS_DIR)/hg_inject_abi.h $(DRIVER_DIR)/include/hiveguard_wire.h
	@mkdir -p $(SYS_OUT)
	$(MINGW_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(DRIVER_DIR)/include -I$(SYS_DIR) \
	    -municode -o $@ $(filter %.c,$^) -ladvapi32 -lkernel32

wine-test: $(SYS_TEST) sys-check $(WINE_CLIENT)
	WINE="$(WINE)" WINESERVER="$(WINESERVER)" timeout -k 10 $(WINE_TEST_TIMEOUT) \
	    $(WINE_TEST_DIR)/run-wine-suite.sh $(SYS_TEST) $(WINE_CLIENT) $(BUILD)/wine $(SYS_RELEASE)
