# eventlog.mk - hiveguard-messages.dll, the message table of the "HiveGuard"
# Event Log source, and its check under Wine. Included by driver/Makefile.
#
#   make -C driver eventlog       the resource-only DLL (windmc + windres + ld)
#   make -C driver eventlog-test  renders every message with FormatMessageW in
#                                 Wine (hgmsgcheck.exe); part of wine-test
EVENTLOG_DIR  := $(DRIVER_DIR)/eventlog
EVENTLOG_OUT  := $(BUILD)/eventlog
EVENTLOG_MC   := $(EVENTLOG_DIR)/hiveguard-messages.mc
EVENTLOG_DLL  := $(EVENTLOG_OUT)/hiveguard-messages.dll
EVENTLOG_CHECK := $(EVENTLOG_OUT)/hgmsgcheck.exe
MINGW_WINDMC  ?= x86_64-w64-mingw32-windmc
MINGW_WINDRES ?= x86_64-w64-mingw32-windres
EVENTLOG_WINE ?= wine
EVENTLOG_WINESERVER ?= wineserver
EVENTLOG_TIMEOUT ?= 300

.PHONY: eventlog eventlog-test
eventlog: $(EVENTLOG_DLL)

# windmc writes hiveguard-messages.rc, .h and MSG00409.bin next to each other.
$(EVENTLOG_OUT)/hiveguard-messages.rc $(EVENTLOG_OUT)/hiveguard-messages.h &: $(EVENTLOG_MC)
	mkdir -p $(EVENTLOG_OUT)
	$(MINGW_WINDMC) -U -h $(EVENTLOG_OUT) -r $(EVENTLOG_OUT) $(EVENTLOG_MC)

$(EVENTLOG_OUT)/hiveguard-messages.res.o: $(EVENTLOG_OUT)/hiveguard-messages.rc
	$(MINGW_WINDRES) -I $(EVENTLOG_OUT) -O coff -o $@ $<

# Resource-only: no entry point, no CRT, no imports; readers load it as a data file.
$(EVENTLOG_DLL): $(EVENTLOG_OUT)/hiveguard-messages.res.o
	$(MINGW_CC) -shared -nostdlib -Wl,--entry=0 -Wl,--dynamicbase -Wl,--nxcompat -o $@ $<
	@if $(MINGW_OBJDUMP) -p $@ | grep -q 'DLL Name'; then \
	    echo "$@ imports code; a message DLL must be resource-only"; rm -f $@; exit 1; fi

$(EVENTLOG_CHECK): $(EVENTLOG_DIR)/hgmsgcheck.c $(EVENTLOG_OUT)/hiveguard-messages.h
	$(MINGW_CC) -municode -O2 -Wall -Wextra -Werror -I $(EVENTLOG_OUT) -o $@ $<

# Its own prefix, so it can run beside the driver suite.
eventlog-test: $(EVENTLOG_DLL) $(EVENTLOG_CHECK)
	rm -rf $(EVENTLOG_OUT)/prefix
	cd $(EVENTLOG_OUT) && WINEPREFIX=$(EVENTLOG_OUT)/prefix WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" \
	    DISPLAY= WINEDEBUG=-all timeout $(EVENTLOG_TIMEOUT) $(EVENTLOG_WINE) ./hgmsgcheck.exe hiveguard-messages.dll; \
	    status=$$?; WINEPREFIX=$(EVENTLOG_OUT)/prefix $(EVENTLOG_WINESERVER) -k >/dev/null 2>&1; exit $$status

# The README's test command reaches this through wine-test.
wine-test: eventlog-test
