package dev.hiveguard.pump;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.hiveguard.device.RegistrySimulator;

/**
 * The native half of {@link PumpBench} (driver/tests/host/bench/pump_bench_native.c,
 * built by {@code make -C driver pump-bench-lib}): a C echo agent and native raiser
 * threads. Direct-mapped, so the raisers' cost is the same for both agents.
 */
final class PumpBenchNative {

    /** Slots of hgpb_raise's result, in the C enum's order. */
    static final int OUT_OPS = 0;
    static final int OUT_WALL_NS = 1;
    static final int OUT_CPU_NS = 2;
    static final int OUT_P50_NS = 3;
    static final int OUT_P99_NS = 4;
    static final int OUT_MAX_NS = 5;
    static final int OUT_DENIED = 6;
    static final int OUT_FAILED = 7;
    static final int OUT_SLOTS = 8;

    static {
        // The host library first: the bench library names it by soname, so the dynamic
        // loader binds it to this very copy and both share one simulated driver.
        RegistrySimulator.stats();
        Native.register(PumpBenchNative.class, "hgpumpbench");
        long ours = Pointer.nativeValue(hgpb_sim_raise_address());
        Function jvms = NativeLibrary.getInstance("hiveguardhost").getFunction("hg_sim_raise");
        if (ours != Pointer.nativeValue(jvms)) {
            throw new IllegalStateException("libhgpumpbench.so bound another copy of the host library than the JVM "
                    + "loaded: the raisers would raise into a driver no agent listens to");
        }
    }

    private PumpBenchNative() {
    }

    static native int hgpb_echo_start(byte[] config, int configBytes, int parked, int bufferBytes);

    static native long hgpb_echo_stop();

    static native int hgpb_raise(int threads, long opsPerThread, int operation, long[] out);

    static native Pointer hgpb_sim_raise_address();
}
