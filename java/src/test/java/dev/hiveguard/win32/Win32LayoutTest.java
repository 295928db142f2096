package dev.hiveguard.win32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.platform.win32.Winsvc;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Win64 layouts of the structures the service, installer and Event Log code pass to
 * advapi32. JNA lays a Structure out for the platform it runs on; on Linux x86-64
 * (LP64) that is the Win64 (LLP64) layout for these structures because they hold
 * only DWORD/BOOL (4 bytes, 4-aligned) and pointers (8 bytes, 8-aligned) - no
 * {@code long}, no inline {@code wchar_t} - the two types where the ABIs differ. The
 * expected numbers are computed by hand from winsvc.h with the Win64 rules (natural
 * alignment, structure size rounded up to its largest member's alignment), and each
 * offset is checked by writing a field and reading the raw memory there, not by
 * asking JNA where it put it.
 */
class Win32LayoutTest {

    @BeforeAll
    static void sixtyFourBit() {
        assumeTrue(Native.POINTER_SIZE == 8, "Win64 layouts are checked on a 64-bit JVM");
    }

    @Test
    void serviceStatusIsSevenDwords() {
        Winsvc.SERVICE_STATUS s = new Winsvc.SERVICE_STATUS();
        assertEquals(28, s.size());
        s.dwServiceType = 0x10;
        s.dwCurrentState = 2;
        s.dwControlsAccepted = 0x109;
        s.dwWin32ExitCode = 1066;
        s.dwServiceSpecificExitCode = 3;
        s.dwCheckPoint = 7;
        s.dwWaitHint = 5000;
        s.write();
        Pointer p = s.getPointer();
        int[] expected = {0x10, 2, 0x109, 1066, 3, 7, 5000};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], p.getInt(4L * i), "DWORD at offset " + 4 * i);
        }
    }

    @Test
    void serviceTableEntryIsTwoPointers() {
        Winsvc.SERVICE_TABLE_ENTRY[] table = (Winsvc.SERVICE_TABLE_ENTRY[]) new Winsvc.SERVICE_TABLE_ENTRY().toArray(2);
        assertEquals(16, table[0].size());
        // The dispatcher walks the table as an array: the terminator must start 16 bytes in.
        assertEquals(16, Pointer.nativeValue(table[1].getPointer()) - Pointer.nativeValue(table[0].getPointer()));
        table[0].lpServiceName = "HiveGuardAgent";
        table[0].write();
        Pointer name = table[0].getPointer().getPointer(0);
        assertEquals("HiveGuardAgent", name.getWideString(0)); // a wide string (wchar_t is 4 bytes here, 2 on Windows)
    }

    @Test
    void failureActionsHaveAlignedPointers() {
        // DWORD dwResetPeriod @0, pad, LPWSTR lpRebootMsg @8, LPWSTR lpCommand @16, DWORD cActions @24, pad,
        // SC_ACTION *lpsaActions @32; size 40.
        Winsvc.SERVICE_FAILURE_ACTIONS fa = new Winsvc.SERVICE_FAILURE_ACTIONS();
        assertEquals(40, fa.size());
        Winsvc.SC_ACTION.ByReference actions = new Winsvc.SC_ACTION.ByReference();
        Winsvc.SC_ACTION[] array = (Winsvc.SC_ACTION[]) actions.toArray(3);
        fa.dwResetPeriod = 86_400;
        fa.cActions = 3;
        fa.lpsaActions = actions;
        fa.write();
        Pointer p = fa.getPointer();
        assertEquals(86_400, p.getInt(0));
        assertEquals(0L, p.getLong(8), "no reboot message");
        assertEquals(0L, p.getLong(16), "no command");
        assertEquals(3, p.getInt(24));
        assertEquals(Pointer.nativeValue(array[0].getPointer()), p.getLong(32));
    }

    @Test
    void scActionIsTypeThenDelay() {
        Winsvc.SC_ACTION a = new Winsvc.SC_ACTION();
        assertEquals(8, a.size());
        a.type = 1; // SC_ACTION_RESTART
        a.delay = 60_000;
        a.write();
        assertEquals(1, a.getPointer().getInt(0));
        assertEquals(60_000, a.getPointer().getInt(4));
    }

    @Test
    void oneDwordConfigurationInfos() {
        ServiceConfig2.SERVICE_DELAYED_AUTO_START_INFO delayed = new ServiceConfig2.SERVICE_DELAYED_AUTO_START_INFO();
        delayed.fDelayedAutostart = 1;
        assertSingleDword(delayed, 1);
        ServiceConfig2.SERVICE_SID_INFO sid = new ServiceConfig2.SERVICE_SID_INFO();
        sid.dwServiceSidType = Advapi32.SERVICE_SID_TYPE_UNRESTRICTED;
        assertSingleDword(sid, 1);
        ServiceConfig2.SERVICE_PRESHUTDOWN_INFO pre = new ServiceConfig2.SERVICE_PRESHUTDOWN_INFO();
        pre.dwPreshutdownTimeout = 30_000;
        assertSingleDword(pre, 30_000);
        Winsvc.SERVICE_FAILURE_ACTIONS_FLAG flag = new Winsvc.SERVICE_FAILURE_ACTIONS_FLAG();
        flag.fFailureActionsOnNonCrashFailures = 1;
        assertSingleDword(flag, 1);
    }

    @Test
    void serviceDescriptionIsOnePointer() {
        Winsvc.SERVICE_DESCRIPTION d = new Winsvc.SERVICE_DESCRIPTION();
        assertEquals(8, d.size());
    }

    @Test
    void queryServiceConfigPadsBeforeEachPointerAfterADword() {
        // 3 DWORDs @0,4,8, pad, LPWSTR @16, LPWSTR @24, DWORD dwTagId @32, pad, LPWSTR @40, @48, @56; size 64.
        com.sun.jna.Memory m = new com.sun.jna.Memory(64);
        m.clear();
        m.setInt(0, 1);
        m.setInt(4, 3);
        m.setInt(8, 1);
        m.setInt(32, 7);
        QueryServiceConfig q = new QueryServiceConfig(m);
        assertEquals(64, q.size());
        assertEquals(1, q.dwServiceType);
        assertEquals(3, q.dwStartType);
        assertEquals(1, q.dwErrorControl);
        assertEquals(7, q.dwTagId);
    }

    @Test
    void dependencyListsAreDecodedAsUtf16AsWindowsWritesThem() {
        com.sun.jna.Memory m = new com.sun.jna.Memory(64);
        m.clear();
        byte[] list = "HiveGuard\0Tcpip\0\0".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        m.write(0, list, 0, list.length);
        assertEquals(java.util.List.of("HiveGuard", "Tcpip"), QueryServiceConfig.wideList(m));
    }

    private static void assertSingleDword(Structure s, int value) {
        assertEquals(4, s.size(), s.getClass().getSimpleName());
        s.write();
        assertEquals(value, s.getPointer().getInt(0), s.getClass().getSimpleName());
    }
}
