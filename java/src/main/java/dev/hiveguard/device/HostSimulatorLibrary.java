package dev.hiveguard.device;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.WString;

/**
 * The configuration-manager simulator exported by the Linux host library
 * (driver/host/hg_host.h). Strings are {@code const wchar_t *} (4-byte on Linux,
 * which {@link WString} matches); NULL means absent.
 */
interface HostSimulatorLibrary extends Library {

    HostSimulatorLibrary INSTANCE = Native.load(DeviceLibrary.HOST_LIBRARY, HostSimulatorLibrary.class);

    /** Runs one operation through the host's callback path; blocks until verdict or timeout. */
    int hg_sim_raise(int operation, long processKey, long pid, long tid, int sessionId, int kernelCaller,
                     WString keyPath, WString valueName, WString newName, WString image, WString userSid,
                     int valueType, Pointer data, int dataLength);

    /** Copies HG_STATS into out; returns an NTSTATUS-style 0 on success. */
    int hg_sim_get_stats(Pointer out);

    /** Tears the simulated driver down and loads a fresh instance. */
    void hg_sim_reset(int noClientVerdict);

    /** TEST HOOK: HELLO capabilities of the instances loaded from the next reset on. */
    void hg_sim_test_set_capabilities(int capabilities);

    /** The process key the host assigns to the calling (this) process. */
    long hg_sim_current_process_key();

    /** Closes every handle the process opened, as Windows does when a process dies. */
    void hg_sim_process_exit(long processKey);
}
