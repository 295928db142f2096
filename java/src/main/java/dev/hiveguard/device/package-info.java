/**
 * One JNA binding of the Win32 device-I/O subset, bound to kernel32 on Windows and to the user-mode host
 * (libhiveguardhost.so) on Linux: {@link dev.hiveguard.device.Kernel32} (interface mapping, set-up calls)
 * and {@code Kernel32Direct} (direct mapping, DeviceIoControl and GetQueuedCompletionStatusEx).
 * {@link dev.hiveguard.device.HiveGuardDevice} owns the handle, its completion port and the one thread
 * that dequeues completions; {@link dev.hiveguard.device.IoRequest} holds the native memory of one
 * overlapped request until its packet is back. {@link dev.hiveguard.device.RegistrySimulator} drives the
 * host's simulated registry callers (Linux only).
 */
package dev.hiveguard.device;
