package dev.hiveguard.device;

import com.sun.jna.Memory;
import com.sun.jna.Platform;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.NtStatus;
import dev.hiveguard.wire.Wire;

/**
 * Linux only: drives the user-mode host's simulated configuration manager, so tests
 * and the demo can play the registry callers that the kernel would see on Windows.
 * Each {@link #raise} blocks like a real registry call does while the agent decides.
 */
public final class RegistrySimulator {

    private RegistrySimulator() {
    }

    private static HostSimulatorLibrary lib() {
        if (Platform.isWindows()) {
            throw new UnsupportedOperationException("the registry simulator exists only in the Linux host; on "
                    + "Windows real registry calls reach hiveguard.sys");
        }
        return HostSimulatorLibrary.INSTANCE;
    }

    /**
     * Performs {@code op} as a registry caller would.
     *
     * @return the NTSTATUS the registry call returns: 0 (allowed) or
     *         0xC0000022 STATUS_ACCESS_DENIED (blocked)
     */
    public static int raise(SimulatedOperation op) {
        lib(); // refuses Windows
        return HostSimulatorDirect.raise(op);
    }

    /** The simulated driver's counters, without going through the device. */
    public static DriverStats stats() {
        Memory out = new Memory(Wire.STATS_BYTES);
        out.clear();
        int status = lib().hg_sim_get_stats(out);
        if (status != 0) {
            throw new IllegalStateException("hg_sim_get_stats failed: " + NtStatus.describe(status));
        }
        return DriverStats.decode(out.getByteBuffer(0, Wire.STATS_BYTES));
    }

    /**
     * Unloads and reloads the simulated driver: counters back to zero, no client,
     * {@code noClientVerdict} applied to verdicts due while no client is bound.
     */
    public static void reset(Verdict noClientVerdict) {
        lib().hg_sim_reset(noClientVerdict.code());
    }

    /** The process key of this JVM as the host sees it (what the agent binds with). */
    public static long currentProcessKey() {
        return lib().hg_sim_current_process_key();
    }

    /** Simulates the death of process {@code key}: every handle it opened is closed. */
    public static void processExit(long key) {
        lib().hg_sim_process_exit(key);
    }

    /**
     * TEST HOOK: the HELLO capabilities ({@code Wire.CAP_*}) of the simulated driver loaded
     * by the next {@link #reset}; the host's own default is {@code Wire.CAP_SIMULATOR}.
     */
    public static void setCapabilitiesForTest(int capabilities) {
        lib().hg_sim_test_set_capabilities(capabilities);
    }
}
