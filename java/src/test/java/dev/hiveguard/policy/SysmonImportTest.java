package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A Sysmon configuration loads as-is: its registry rules audit what Sysmon would log, its
 * other sections are ignored with a note; and the shipped audit-only policy blocks nothing
 * while recording what enforcement would have stopped.
 */
class SysmonImportTest {

    private static CompiledPolicy sysmonConfig() throws Exception {
        try (var in = SysmonImportTest.class.getResourceAsStream("/policy/sysmon-style-config.xml")) {
            return CompiledPolicy.compile(PolicyParser.parse("sysmon-style-config.xml", in.readAllBytes()));
        }
    }

    @Test
    void aSysmonConfigurationLoadsUnchangedAndAudits() throws Exception {
        CompiledPolicy p = sysmonConfig();
        assertEquals(6, p.document().notes().size(), p.document().notes().toString());
        assertTrue(p.document().notes().stream().anyMatch(n -> n.contains("<NetworkConnect> ignored")));
        assertEquals(PolicyMode.ENFORCE, p.settings().mode());
        assertEquals(0, p.subscription().verdictOpMask(), "a Sysmon configuration never makes a caller wait");
        Map<String, Integer> audited = new TreeMap<>();
        for (var f : DatasetEvents.files()) {
            for (DatasetEvents.Recorded r : DatasetEvents.read(f)) {
                Decision d = p.decide(r.event());
                assertFalse(d.blocks());
                if (d.action() == Action.AUDIT) {
                    audited.merge(d.ruleName(), 1, Integer::sum);
                }
            }
        }
        // The Run-key write, the logon script (reg.exe, two rules: the earlier names it),
        // and reg.exe's own key creation is not a SetValue: one audit per technique.
        assertEquals(Integer.valueOf(1), audited.get("technique_id=T1037,technique_name=Logon Scripts"), audited.toString());
        // services.exe is excluded, so the SCM's Start/ImagePath writes are not audited; "end with
        // \Start" still catches the three WMI autologger Start values svchost writes, as in Sysmon.
        assertEquals(Integer.valueOf(3), audited.get("technique_id=T1543.003,technique_name=Windows Service"), audited.toString());
        assertEquals(Integer.valueOf(3), audited.get("technique_id=T1547.001,technique_name=Registry Run Keys"), audited.toString());
    }

    @Test
    void theAuditOnlyPolicyBlocksNothingAndMarksWouldBlocks() throws Exception {
        CompiledPolicy p = PolicyLoader.loadResource("audit-only.xml");
        assertEquals(PolicyMode.AUDIT_ONLY, p.settings().mode());
        assertEquals(0, p.subscription().verdictOpMask());
        List<String> wouldBlock = new java.util.ArrayList<>();
        for (var f : DatasetEvents.files()) {
            for (DatasetEvents.Recorded r : DatasetEvents.read(f)) {
                Decision d = p.decide(r.event());
                assertFalse(d.blocks(), r.file() + ":" + r.line());
                if (d.wouldBlock()) {
                    assertEquals(Action.AUDIT, d.action());
                    wouldBlock.add(r.event().operation().eventType() + " " + r.targetObject());
                }
            }
        }
        // In dataset order. Defender's own tray entry (Run\WindowsDefender, written by MsMpEng)
        // is the kind of finding an audit-only roll-out is for: protect.xml excludes it.
        assertEquals(List.of(
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Start",
                "SetValue HKU\\S-1-5-21-3125456671-949036322-3048627137-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
                "SetValue HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\WindowsDefender",
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\fhsvc\\Start",
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\NdisCap\\Start",
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\NdisCap\\Start",
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath",
                "SetValue HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath",
                "SetValue HKU\\S-1-5-21-3940915590-64593676-1414006259-500\\Environment\\UserInitMprLogonScript"), wouldBlock);
        assertTrue(p.scope() != 0 && (p.scope() & Operation.SET_VALUE.bit()) != 0);
    }
}
