package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RegistryLocationTest {

    @Test
    void machinePathSplitsIntoHklmAndHiveRelativeKey() {
        RegistryLocation l = RegistryLocation.of(
                "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe",
                "Debugger");
        assertEquals("HKLM", l.hive());
        assertEquals("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe", l.key());
        assertEquals("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger",
                l.path());
    }

    @Test
    void userPathKeepsTheSidAsSysmonDoesAndRootMatchIsCaseInsensitive() {
        RegistryLocation l = RegistryLocation.of("\\Registry\\User\\S-1-5-18\\Environment", "");
        assertEquals("HKU", l.hive());
        assertEquals("S-1-5-18\\Environment", l.key());
        assertEquals("HKU\\S-1-5-18\\Environment", l.path());
    }

    @Test
    void pathsWithoutAWin32RootAreKeptVerbatim() {
        RegistryLocation l = RegistryLocation.of("\\REGISTRY\\A\\{1234}\\Settings", "x");
        assertEquals("", l.hive());
        assertEquals("\\REGISTRY\\A\\{1234}\\Settings", l.key());
        RegistryLocation lookalike = RegistryLocation.of("\\REGISTRY\\MACHINEX\\Y", "");
        assertEquals("", lookalike.hive(), "a prefix match must end at a path separator");
        assertEquals("HKLM", RegistryLocation.of("\\REGISTRY\\MACHINE", "").path());
    }
}
