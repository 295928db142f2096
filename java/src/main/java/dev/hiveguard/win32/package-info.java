/**
 * The Win32 calls the service, installer and Event Log code make beyond JNA Platform,
 * declared once, named after the DLL that exports them. Nothing here is loaded on
 * Linux: each interface binds its DLL lazily, on first use of {@code INSTANCE}, and the
 * callers reach it only through the Windows implementations of their bindings.
 */
package dev.hiveguard.win32;
