package dev.hiveguard.device;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The simulator's hot call, {@code hg_sim_raise}, in JNA direct mapping, with the
 * strings and value data of each raise encoded into one native buffer per raising
 * thread that is reused for every call. Interface mapping with a {@code WString} per
 * string and a {@code Memory} per data blob costs microseconds and garbage per
 * simulated operation; the demo and the benches would then measure JNA instead of the
 * agent.
 */
final class HostSimulatorDirect {

    static {
        Native.register(HostSimulatorDirect.class, DeviceLibrary.load());
    }

    /** sizeof(wchar_t) in the Linux host: strings are UTF-32. */
    private static final int WCHAR_BYTES = 4;
    private static final int INITIAL_BUFFER_BYTES = 4096;

    private static final ThreadLocal<RaiseBuffer> BUFFERS = ThreadLocal.withInitial(RaiseBuffer::new);

    private HostSimulatorDirect() {
    }

    static native int hg_sim_raise(int operation, long processKey, long pid, long tid, int sessionId,
                                   int kernelCaller, Pointer keyPath, Pointer valueName, Pointer newName,
                                   Pointer image, Pointer userSid, int valueType, Pointer data, int dataLength);

    /** Raises {@code op} through this thread's buffer; returns the NTSTATUS. */
    static int raise(SimulatedOperation op) {
        return BUFFERS.get().raise(op);
    }

    /** One thread's native buffer and the Java-side scratch it is filled from (one copy per string). */
    private static final class RaiseBuffer {
        private Memory memory = new Memory(INITIAL_BUFFER_BYTES);
        private int[] units = new int[INITIAL_BUFFER_BYTES / WCHAR_BYTES];
        private int at;

        int raise(SimulatedOperation op) {
            byte[] data = op.data();
            long need = (long) WCHAR_BYTES * (5 + length(op.keyPath()) + length(op.valueName())
                    + length(op.newName()) + length(op.image()) + length(op.userSid())) + data.length;
            if (need > memory.size()) {
                memory = new Memory(Math.max(need, memory.size() * 2));
            }
            at = 0;
            Pointer key = put(op.keyPath());
            Pointer value = put(op.valueName());
            Pointer newName = put(op.newName());
            Pointer image = put(op.image());
            Pointer sid = put(op.userSid());
            Pointer dataPointer = null;
            if (data.length > 0) {
                memory.write(at, data, 0, data.length);
                dataPointer = memory.share(at, data.length);
            }
            return hg_sim_raise(op.operation().code(), op.processKey(), op.pid(), op.tid(), op.sessionId(),
                    op.kernelCaller() ? 1 : 0, key, value, newName, image, sid, op.valueType(), dataPointer,
                    data.length);
        }

        private static int length(String s) {
            return s == null ? 0 : s.length(); // code points <= UTF-16 units
        }

        /** Writes s as a NUL-terminated UTF-32 string at the cursor; null stays NULL. */
        private Pointer put(String s) {
            if (s == null) {
                return null;
            }
            if (units.length < s.length() + 1) {
                units = new int[s.length() + 1];
            }
            int n = 0;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                units[n++] = cp;
                i += Character.charCount(cp);
            }
            units[n++] = 0;
            memory.write(at, units, 0, n);
            Pointer p = memory.share(at, (long) n * WCHAR_BYTES);
            at += n * WCHAR_BYTES;
            return p;
        }
    }
}
