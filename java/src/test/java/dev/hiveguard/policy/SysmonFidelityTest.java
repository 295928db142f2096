package dev.hiveguard.policy;

import static dev.hiveguard.policy.Policies.event;
import static dev.hiveguard.policy.Policies.parseRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.cli.Main;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.ValueRendering;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where HiveGuard's reading of a Sysmon configuration used to differ from Sysmon's, found by
 * running both side by side: valid Sysmon constructs are accepted (and noted), spellings that
 * Sysmon never matches but HiveGuard folds into a match are warned about, and the policy hash
 * follows the rules only.
 */
class SysmonFidelityTest {

    private static final String PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

    @TempDir
    Path dir;

    private static String sysmon(String body) {
        return "<Sysmon schemaversion=\"4.90\">\n" + body + "\n</Sysmon>\n";
    }

    private static String filtering(String registryEvent) {
        return sysmon("<EventFiltering>\n<RuleGroup groupRelation=\"or\">\n<RegistryEvent onmatch=\"include\">\n"
                + registryEvent + "\n</RegistryEvent>\n</RuleGroup>\n</EventFiltering>");
    }

    private static List<String> warnings(PolicyDocument d) {
        return d.notes().stream().filter(n -> n.contains("warning:")).toList();
    }

    @Test
    void aConfigurationWithoutEventFilteringIsAcceptedAndNoted() throws Exception {
        PolicyDocument d = parseRaw(sysmon("<HashAlgorithms>sha256</HashAlgorithms>"));
        assertEquals(0, d.rules().size());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("no <EventFiltering>")), d.notes().toString());
        CompiledPolicy p = CompiledPolicy.compile(d);
        assertFalse(p.decide(Policies.setString("HKLM\\SOFTWARE\\X\\v", PS, "x")).blocks());
    }

    @Test
    void processAccessConfigAndPipeMonitoringConfigAreSysmonOptions() throws Exception {
        PolicyDocument d = parseRaw(sysmon("<ProcessAccessConfig><Image>lsass.exe</Image></ProcessAccessConfig>\n"
                + "<PipeMonitoringConfig/>\n<EventFiltering/>"));
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("<ProcessAccessConfig> ignored")), d.notes().toString());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("<PipeMonitoringConfig> ignored")), d.notes().toString());
    }

    @Test
    void rulesOnRuleNameUtcTimeOrProcessGuidAreAcceptedLeftOutAndNoted() throws Exception {
        PolicyDocument d = parseRaw(filtering(
                "<TargetObject name=\"kept\" condition=\"end with\">\\Run\\x</TargetObject>\n"
                        + "<RuleName name=\"r1\">technique_id=T1547</RuleName>\n"
                        + "<UtcTime name=\"r2\" condition=\"begin with\">2024-</UtcTime>\n"
                        + "<Rule name=\"r3\" groupRelation=\"and\"><TargetObject condition=\"contains\">Run</TargetObject>"
                        + "<ProcessGuid>{11111111-2222-3333-4444-555555555555}</ProcessGuid></Rule>"));
        assertEquals(List.of("kept"), d.rules().stream().map(PolicyRule::name).toList());
        for (String field : List.of("RuleName", "UtcTime", "ProcessGuid")) {
            assertTrue(d.notes().stream().anyMatch(n -> n.contains("<" + field + "> is a Sysmon field HiveGuard "
                    + "cannot test")), field + ": " + d.notes());
        }
        // located like errors: file:line:column
        assertTrue(d.notes().stream().anyMatch(n -> n.startsWith("test.xml:6:")), d.notes().toString());
    }

    /** Sysmon's table: less than = "Lexicographical comparison is less than zero". */
    @Test
    void lessAndMoreThanAreLexicographicAndNumericValuesGetAWarning() throws Exception {
        PolicyDocument d = parseRaw(filtering("<ProcessId condition=\"more than\">1000</ProcessId>"));
        assertEquals(1, warnings(d).size(), d.notes().toString());
        assertTrue(warnings(d).get(0).contains("900 is more than 1000"), warnings(d).toString());
        CompiledPolicy p = CompiledPolicy.compile(parseRaw(filtering(
                "<ProcessId name=\"hi\" condition=\"more than\">1000</ProcessId>").replace("onmatch=\"include\"",
                "onmatch=\"include\" action=\"block\"")));
        RegistryEvent pid900 = event(Operation.SET_VALUE, "HKLM\\SOFTWARE\\X", "v", "", PS, "", 900, 1,
                ValueRendering.sz("x"));
        RegistryEvent pid100 = event(Operation.SET_VALUE, "HKLM\\SOFTWARE\\X", "v", "", PS, "", 100, 1,
                ValueRendering.sz("x"));
        assertTrue(p.decide(pid900).blocks(), "\"900\" > \"1000\" as Sysmon compares");
        assertFalse(p.decide(pid100).blocks(), "\"100\" is a prefix of \"1000\": less");
        assertTrue(warnings(parseRaw(filtering("<Details condition=\"less than\">m</Details>"))).isEmpty());
    }

    @Test
    void targetObjectSpellingsSysmonNeverMatchesAreWarnedAbout() throws Exception {
        for (String spelling : List.of("HKLM\\SOFTWARE\\Classes\\exefile\\shell", "HKEY_CLASSES_ROOT\\exefile\\shell",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                "HKLM\\SYSTEM\\ControlSet001\\Services", "\\REGISTRY\\MACHINE\\SOFTWARE\\Policies")) {
            PolicyDocument d = parseRaw(filtering("<TargetObject condition=\"begin with\">" + spelling
                    + "</TargetObject>"));
            assertEquals(1, warnings(d).size(), spelling + ": " + d.notes());
            assertTrue(warnings(d).get(0).contains("never matches this rule"), warnings(d).toString());
        }
        for (String sysmonSpelling : List.of("HKCR\\exefile\\shell", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion",
                "HKLM\\System\\CurrentControlSet\\Services", "HKU\\.DEFAULT\\Software", "HKCU\\Software\\X",
                "\\Run\\")) {
            PolicyDocument d = parseRaw(filtering("<TargetObject condition=\"contains\">" + sysmonSpelling
                    + "</TargetObject>"));
            assertEquals(List.of(), warnings(d), sysmonSpelling);
        }
    }

    @Test
    void policyValidatePrintsTheWarning() throws Exception {
        Path f = dir.resolve("hkcr.xml");
        Files.writeString(f, filtering("<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Classes\\ms-settings"
                + "</TargetObject>"));
        StringWriter out = new StringWriter();
        int exit = Main.newCommandLine(new PrintWriter(out), new PrintWriter(new StringWriter()))
                .execute("policy", "validate", f.toString());
        assertEquals(0, exit);
        assertTrue(out.toString().contains("hkcr.xml:5:") && out.toString().contains("warning: TargetObject "
                + "\"HKLM\\SOFTWARE\\Classes\\ms-settings\" is matched as \"HKCR\\ms-settings\""), out.toString());
    }

    @Test
    void theHashIgnoresCommentsThatMoveUnnamedRulesAndTheFileName() throws Exception {
        String plain = filtering("<TargetObject condition=\"end with\">\\Run\\x</TargetObject>");
        String commented = plain.replace("<EventFiltering>", "<!-- a comment\n over\n three lines -->\n<EventFiltering>");
        String renamed = plain.replace("\\Run\\x", "\\Run\\y");
        PolicyDocument a = PolicyParser.parse("a.xml", plain.getBytes(StandardCharsets.UTF_8));
        PolicyDocument b = PolicyParser.parse("b.xml", commented.getBytes(StandardCharsets.UTF_8));
        PolicyDocument c = PolicyParser.parse("a.xml", renamed.getBytes(StandardCharsets.UTF_8));
        assertNotEquals(a.rules().get(0).name(), b.rules().get(0).name(), "unnamed rules are named file:line");
        assertEquals(PolicyDescription.hash(a), PolicyDescription.hash(b));
        assertNotEquals(PolicyDescription.hash(a), PolicyDescription.hash(c), "a different rule, a different hash");
        // a name written in the file is meaning (the audit trail shows it): it stays in the hash
        PolicyDocument named = PolicyParser.parse("a.xml", plain.replace("<TargetObject ", "<TargetObject name=\"n\" ")
                .getBytes(StandardCharsets.UTF_8));
        assertNotEquals(PolicyDescription.hash(a), PolicyDescription.hash(named));
    }
}
