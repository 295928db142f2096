# core.mk - the portable core. Included by driver/Makefile; other parts link
# it by adding $(CORE_SRCS) to their sources and $(CORE_INC) to CFLAGS.
#   CORE_SRCS  every core .c file (absolute paths)
#   CORE_INC   include flags for hg_core.h / hg_platform.h / hiveguard_wire.h
#   CORE_HDRS  headers a core object depends on
#   PLAT_POSIX_SRC  the POSIX hg_platform.h implementation (locks, events,
#              allocation, clocks) for user-mode builds; the request hooks are
#              not in it (each user of the core supplies its own).
CORE_DIR   := $(DRIVER_DIR)/core
CORE_SRCS  := $(addprefix $(CORE_DIR)/,util.c upcase_table.c keyname.c config.c pattern.c details.c subscription.c event.c verdict.c delivery.c client.c lockdown.c raise.c core.c)
CORE_INC   := -I$(CORE_DIR) -I$(DRIVER_DIR)/include
CORE_HDRS  := $(CORE_DIR)/upcase_table.h $(CORE_DIR)/hg_core.h $(CORE_DIR)/hg_platform.h $(CORE_DIR)/core_internal.h $(DRIVER_DIR)/include/hiveguard_wire.h
PLAT_POSIX_SRC := $(DRIVER_DIR)/host/plat_posix.c
