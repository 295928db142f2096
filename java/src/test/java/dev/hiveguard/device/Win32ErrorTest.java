package dev.hiveguard.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.wire.NtStatus;
import org.junit.jupiter.api.Test;

class Win32ErrorTest {

    @Test
    void everyContractStatusMapsToANamedWin32Error() {
        for (NtStatus s : NtStatus.values()) {
            if (s == NtStatus.SUCCESS) {
                continue;
            }
            assertNotNull(Win32Error.fromCode(s.win32Error()), s + " -> " + s.win32Error());
        }
    }

    @Test
    void exceptionCarriesCodeNameAndMeaning() {
        DeviceException e = new DeviceException("HELLO", 1306, "- hint");
        assertEquals(1306, e.win32Error());
        assertEquals(Win32Error.ERROR_REVISION_MISMATCH, e.error());
        assertTrue(e.getMessage().startsWith("HELLO failed: ERROR_REVISION_MISMATCH (1306): "), e.getMessage());
        assertTrue(e.getMessage().endsWith("- hint"));
        assertEquals("Win32 error 123456", Win32Error.describe(123456));
    }
}
