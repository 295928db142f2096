package dev.hiveguard.device;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.win32.W32APIOptions;

/**
 * Which native library implements the device I/O subset: kernel32 on Windows, the
 * user-mode host (libhiveguardhost.so, which JNA finds as linux-x86-64/ on the class
 * path or in the jar) everywhere else. Everything above this class is the same code
 * on both.
 */
final class DeviceLibrary {

    static final String WINDOWS_LIBRARY = "kernel32";
    static final String HOST_LIBRARY = "hiveguardhost";

    static final String NAME = Platform.isWindows() ? WINDOWS_LIBRARY : HOST_LIBRARY;

    private DeviceLibrary() {
    }

    /**
     * The structures below (OVERLAPPED, OVERLAPPED_ENTRY) are laid out for 64-bit
     * pointers; a 32-bit JVM would read them wrongly, so refuse it outright.
     */
    static void requireSixtyFourBit() {
        if (Native.POINTER_SIZE != 8) {
            throw new UnsatisfiedLinkError("HiveGuard's device binding needs a 64-bit JVM (pointer size is "
                    + Native.POINTER_SIZE + ")");
        }
    }

    static NativeLibrary load() {
        requireSixtyFourBit();
        return NativeLibrary.getInstance(NAME, W32APIOptions.DEFAULT_OPTIONS);
    }
}
