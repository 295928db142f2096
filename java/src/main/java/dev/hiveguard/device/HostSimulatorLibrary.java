package dev.hiveguard.device;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The configuration-manager simulator exported by the Linux host library
 * (driver/host/hg_host.h), its cold calls; the hot one, hg_sim_raise, is
 * direct-mapped in {@link HostSimulatorDirect}.
 */
interface HostSimulatorLibrary extends Library {

    HostSimulatorLibrary INSTANCE = Native.load(DeviceLibrary.HOST_LIBRARY, HostSimulatorLibrary.class);

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
