package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** ECS registry fields in Sysmon's spelling, as the datasets' TargetObjects show it. */
class RegistryLocationTest {

    @Test
    void machinePathSplitsIntoHklmAndHiveRelativeKey() {
        RegistryLocation l = RegistryLocation.of(
                "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe",
                "Debugger");
        assertEquals("HKLM", l.hive());
        assertEquals("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe", l.key());
        assertEquals("Debugger", l.value());
        assertEquals("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger",
                l.path());
    }

    @Test
    void controlSetIsWrittenAsSysmonsCurrentControlSet() {
        RegistryLocation l = RegistryLocation.of("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EventLog",
                "Start");
        assertEquals("HKLM", l.hive());
        assertEquals("System\\CurrentControlSet\\Services\\EventLog", l.key());
        assertEquals("HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Start", l.path());
    }

    @Test
    void userPathKeepsTheSidAsSysmonDoes() {
        RegistryLocation l = RegistryLocation.of("\\REGISTRY\\USER\\S-1-5-18\\Environment", "");
        assertEquals("HKU", l.hive());
        assertEquals("S-1-5-18\\Environment", l.key());
        assertEquals("", l.value());
        assertEquals("HKU\\S-1-5-18\\Environment", l.path());
    }

    @Test
    void pathsWithoutAWin32RootAreKeptVerbatim() {
        RegistryLocation l = RegistryLocation.of("\\REGISTRY\\A\\{1234}\\Settings", "x");
        assertEquals("", l.hive());
        assertEquals("\\REGISTRY\\A\\{1234}\\Settings", l.key());
        assertEquals("\\REGISTRY\\A\\{1234}\\Settings\\x", l.path());
    }
}
