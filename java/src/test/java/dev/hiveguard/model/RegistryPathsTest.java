package dev.hiveguard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryPathsTest {

    @Test
    void canonicalKernelPathIsWhatTheDriverReports() {
        // Same rules as driver/core/keyname.c (test_keyname.c has the C side).
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE", RegistryPaths.canonicalKernelPath("\\REGISTRY\\MACHINE\\SOFTWARE"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE",
                RegistryPaths.canonicalKernelPath("\\REGISTRY\\\\MACHINE\\\\\\SOFTWARE\\\\"));
        assertEquals("\\REGISTRY\\MACHINE", RegistryPaths.canonicalKernelPath("\\\\REGISTRY\\MACHINE\\"));
        assertEquals("\\", RegistryPaths.canonicalKernelPath("\\\\\\"));
        assertEquals("relative\\\\kept", RegistryPaths.canonicalKernelPath("relative\\\\kept"));
        assertEquals("\\REGISTRY\\USER\\s-1-5-18\\Software", RegistryPaths.canonicalKernelPath("\\REGISTRY\\USER\\s-1-5-18\\Software\\"));
    }

    @Test
    void machineKeysBecomeHklmKeepingTheKernelSpelling() {
        assertEquals("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"));
        assertEquals("HKLM", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE"));
        assertEquals("HKLM\\SYSTEM\\Setup", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\Setup"));
    }

    @Test
    void rootsAreMatchedCaseInsensitivelyBecausePreCreateNamesKeepTheCallersSpelling() {
        assertEquals("HKLM\\software\\x", RegistryPaths.toSysmon("\\Registry\\Machine\\software\\x"));
        assertEquals("HKU\\S-1-5-18", RegistryPaths.toSysmon("\\registry\\user\\S-1-5-18"));
    }

    @Test
    void controlSetsBecomeCurrentControlSetSpelledAsSysmonDoes() {
        assertEquals("HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath",
                RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Fax\\ImagePath"));
        assertEquals("HKLM\\System\\CurrentControlSet\\Services",
                RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet002\\Services"));
        assertEquals("HKLM\\System\\CurrentControlSet",
                RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet"));
        // Not a control set: four digits, or a longer name.
        assertEquals("HKLM\\SYSTEM\\ControlSet0010", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet0010"));
        assertEquals("HKLM\\SYSTEM\\ControlSetX01", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSetX01"));
    }

    @Test
    void machineClassesBecomeHkcrButUserClassesStayUnderHku() {
        assertEquals("HKCR\\CLSID\\{x}", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\CLSID\\{x}"));
        assertEquals("HKCR", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes"));
        assertEquals("HKLM\\SOFTWARE\\ClassesX", RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SOFTWARE\\ClassesX"));
        assertEquals("HKU\\S-1-5-21-1-2-3-1001_Classes\\Local Settings",
                RegistryPaths.toSysmon("\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001_Classes\\Local Settings"));
    }

    @Test
    void wow6432NodeIsKeptAndApplicationHivesStayInKernelForm() {
        assertEquals("HKLM\\SOFTWARE\\WOW6432Node\\Microsoft",
                RegistryPaths.toSysmon("\\REGISTRY\\MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft"));
        assertEquals("\\REGISTRY\\A\\{7ca2}\\Root", RegistryPaths.toSysmon("\\REGISTRY\\A\\{7ca2}\\Root"));
    }

    @Test
    void targetObjectAppendsTheValueNameOrDefault() {
        assertEquals("HKLM\\X\\Start", RegistryPaths.targetObject("\\REGISTRY\\MACHINE\\X", "Start", true));
        assertEquals("HKLM\\X\\(Default)", RegistryPaths.targetObject("\\REGISTRY\\MACHINE\\X", "", true));
        assertEquals("HKLM\\X", RegistryPaths.targetObject("\\REGISTRY\\MACHINE\\X", "ignored", false));
    }

    @Test
    void ecsSplitForTheAuditWriter() {
        String k = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\winword.exe";
        assertEquals("HKLM", RegistryPaths.hive(k));
        assertEquals("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\winword.exe",
                RegistryPaths.keyWithinHive(k));
        assertEquals("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\winword.exe\\Debugger",
                RegistryPaths.fullPath(k, "Debugger"));
        assertEquals("HKU", RegistryPaths.hive("\\REGISTRY\\USER\\S-1-5-18\\Software"));
        assertEquals("S-1-5-18\\Software", RegistryPaths.keyWithinHive("\\REGISTRY\\USER\\S-1-5-18\\Software"));
        assertEquals("HKCR", RegistryPaths.hive("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\.txt"));
        assertEquals(".txt", RegistryPaths.keyWithinHive("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\.txt"));
        assertEquals("", RegistryPaths.hive("\\REGISTRY\\A\\{1}\\Root"));
        assertEquals("\\REGISTRY\\A\\{1}\\Root", RegistryPaths.keyWithinHive("\\REGISTRY\\A\\{1}\\Root"));
        assertEquals("", RegistryPaths.keyWithinHive("\\REGISTRY\\MACHINE"));
    }

    @Test
    void toKernelInvertsToSysmon() {
        assertEquals("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Fax",
                RegistryPaths.toKernel("HKLM\\System\\CurrentControlSet\\Services\\Fax"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\CLSID", RegistryPaths.toKernel("HKCR\\CLSID"));
        assertEquals("\\REGISTRY\\USER\\S-1-5-20\\Software", RegistryPaths.toKernel("HKU\\S-1-5-20\\Software"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE", RegistryPaths.toKernel("HKEY_LOCAL_MACHINE\\SOFTWARE"));
        assertThrows(IllegalArgumentException.class, () -> RegistryPaths.toKernel("HKCU\\Software"));
    }

    @Test
    void everyRecordedTargetObjectRoundTripsThroughKernelForm() {
        int checked = 0;
        for (Path f : DatasetEvents.files()) {
            for (DatasetEvents.Recorded r : DatasetEvents.read(f)) {
                RegistryEvent e = r.event();
                boolean valueOp = e.operation() == Operation.SET_VALUE || e.operation() == Operation.DELETE_VALUE;
                assertEquals(r.targetObject(), RegistryPaths.targetObject(e.keyPath(), e.valueName(), valueOp),
                        r.file() + ":" + r.line());
                assertEquals(r.targetObject().toLowerCase(java.util.Locale.ROOT),
                        RegistryPaths.targetObjectLower(e.keyPath(), e.valueName(), valueOp), r.file() + ":" + r.line());
                checked++;
            }
        }
        assertEquals(14378, checked, "every event of the four recordings");
    }

    @Test
    void theOnePassLowerCaseFormEqualsLowerCasingTheSysmonForm() {
        String[] keys = {"\\REGISTRY\\MACHINE", "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes", "\\REGISTRY\\MACHINE\\SOFTWARE\\ClassesX",
            "\\registry\\machine\\software\\classes\\CLSID", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet002\\Services",
            "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet01\\x",
            "\\REGISTRY\\USER", "\\REGISTRY\\USER\\S-1-5-18\\R\u00c9SEAU\\\u0130", "\\REGISTRY\\A\\{x}", "", "\\REGISTRY\\MACHINEX"};
        for (String k : keys) {
            for (String v : new String[] {"", "Start", "\u00c9t\u00e9"}) {
                for (boolean valueOp : new boolean[] {false, true}) {
                    assertEquals(RegistryPaths.targetObject(k, v, valueOp).toLowerCase(java.util.Locale.ROOT),
                            RegistryPaths.targetObjectLower(k, v, valueOp), k + " " + v + " " + valueOp);
                }
            }
        }
    }

    @Test
    void canonicalFoldsTheWaysAdminsSpellPaths() {
        assertEquals("HKCR\\CLSID", RegistryPaths.canonical("HKLM\\SOFTWARE\\Classes\\CLSID"));
        assertEquals("HKCR\\CLSID", RegistryPaths.canonical("HKEY_CLASSES_ROOT\\CLSID"));
        assertEquals("HKLM\\System\\CurrentControlSet\\Services", RegistryPaths.canonical("HKLM\\SYSTEM\\ControlSet001\\Services"));
        assertEquals("HKLM\\System\\CurrentControlSet\\Services",
                RegistryPaths.canonical("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services"));
        assertEquals("HKCU\\Environment", RegistryPaths.canonical("HKEY_CURRENT_USER\\Environment"));
        assertEquals("HKU\\.DEFAULT", RegistryPaths.canonical("HKEY_USERS\\.DEFAULT"));
        assertEquals("Software\\x", RegistryPaths.canonical("Software\\x"));
    }

    @Test
    void hkcuViewMapsEveryUsersHiveAndTheirClasses() {
        assertEquals("HKCU\\Environment\\X", RegistryPaths.hkcuView("HKU\\S-1-5-21-9-9-9-500\\Environment\\X"));
        assertEquals("HKCU\\Software\\Classes\\CLSID", RegistryPaths.hkcuView("HKU\\S-1-5-21-9-9-9-500_Classes\\CLSID"));
        assertEquals("HKCU", RegistryPaths.hkcuView("HKU\\.DEFAULT"));
        assertEquals("HKLM\\SOFTWARE", RegistryPaths.hkcuView("HKLM\\SOFTWARE"));
        assertTrue(RegistryPaths.isHkcu("hkcu\\software"));
        assertFalse(RegistryPaths.isHkcu("HKCUX"));
    }

    @Test
    void kernelPrefixesWidenWhereOneSysmonNameCoversManyKernelKeys() {
        assertEquals(List.of("\\REGISTRY\\USER\\"), RegistryPaths.kernelPrefixes("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\"));
        assertEquals(List.of("\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft"), RegistryPaths.kernelPrefixes("HKLM\\SOFTWARE\\Microsoft"));
        assertEquals(List.of("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Fax", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet"),
                RegistryPaths.kernelPrefixes("HKLM\\System\\CurrentControlSet\\Services\\Fax", false));
        List<String> precise = RegistryPaths.kernelPrefixes("HKLM\\System\\CurrentControlSet\\Services\\Fax");
        for (String set : new String[] {"ControlSet001", "ControlSet002", "ControlSet010", "ControlSet123", "ControlSet999",
            "CurrentControlSet"}) {
            String k = "\\REGISTRY\\MACHINE\\SYSTEM\\" + set + "\\Services\\Fax\\ImagePath";
            assertTrue(precise.stream().anyMatch(p -> SubscriptionMatcher.startsWithUpcased(k, p)), set);
        }
        assertFalse(precise.stream().anyMatch(p -> SubscriptionMatcher.startsWithUpcased(
                "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip", p)), "tight for the sets Windows creates");
        assertEquals(List.of("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\CLSID"), RegistryPaths.kernelPrefixes("HKCR\\CLSID"));
        assertEquals(List.of("\\REGISTRY\\USER\\S-1-5-18\\X"), RegistryPaths.kernelPrefixes("HKU\\S-1-5-18\\X"));
        assertEquals(List.of("\\"), RegistryPaths.kernelPrefixes("HK"));
        assertEquals(List.of(), RegistryPaths.kernelPrefixes("Software\\x"));
        // A prefix cut inside "CurrentControlSet" must still reach every ControlSetNNN.
        List<String> partial = RegistryPaths.kernelPrefixes("HKLM\\System\\Curr");
        assertTrue(partial.stream().anyMatch(p ->
                SubscriptionMatcher.startsWithUpcased("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services", p)), partial.toString());
    }
}
