package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryValueType;
import static dev.hiveguard.policy.Policies.event;
import static dev.hiveguard.policy.Policies.keyOp;
import static dev.hiveguard.policy.Policies.of;
import static dev.hiveguard.policy.Policies.setString;
import static dev.hiveguard.policy.Policies.setValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.ValueRendering;
import org.junit.jupiter.api.Test;

/**
 * Each condition, group relation and precedence rule against Sysmon's documented
 * semantics: case-insensitive; same field repeated = OR, different fields = AND inside a
 * rule; exclude wins; RuleGroup "or"/"and"; {@code image} matching name or full path.
 */
class PolicySemanticsTest {

    private static final String RUN = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater";
    private static final String PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

    private static String block(String filters) {
        return "<RuleGroup name=\"g\" groupRelation=\"or\" action=\"block\"><RegistryEvent onmatch=\"include\">" + filters
                + "</RegistryEvent></RuleGroup>";
    }

    private static boolean blocks(String filters, RegistryEvent e) throws PolicyException {
        return of(block(filters)).decide(e).blocks();
    }

    private static RegistryEvent run(String data) {
        return setString(RUN, PS, data);
    }

    // ------------------------------------------------------------------ conditions

    @Test
    void isComparesWholeValuesIgnoringCase() throws Exception {
        assertTrue(blocks("<TargetObject condition=\"is\">hklm\\software\\microsoft\\windows\\currentversion\\run\\UPDATER</TargetObject>", run("x")));
        assertFalse(blocks("<TargetObject condition=\"is\">HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run</TargetObject>", run("x")));
    }

    @Test
    void conditionDefaultsToIs() throws Exception {
        assertTrue(blocks("<Details>Evil</Details>", run("evil")));
        assertFalse(blocks("<Details>Evil</Details>", run("evil2")));
    }

    @Test
    void isNotNegates() throws Exception {
        assertTrue(blocks("<Details condition=\"is not\">good</Details>", run("evil")));
        assertFalse(blocks("<Details condition=\"is not\">GOOD</Details>", run("good")));
    }

    @Test
    void isAnyTakesASemicolonList() throws Exception {
        assertTrue(blocks("<Details condition=\"is any\">a;EVIL;b</Details>", run("evil")));
        assertFalse(blocks("<Details condition=\"is any\">a;b</Details>", run("evil")));
    }

    @Test
    void containsAndItsListForms() throws Exception {
        assertTrue(blocks("<Details condition=\"contains\">-ENC</Details>", run("powershell -enc AAA")));
        assertFalse(blocks("<Details condition=\"contains\">-enc</Details>", run("powershell")));
        assertTrue(blocks("<Details condition=\"contains any\">mshta;-enc</Details>", run("powershell -enc AAA")));
        assertFalse(blocks("<Details condition=\"contains any\">mshta;rundll32</Details>", run("powershell -enc AAA")));
        assertTrue(blocks("<Details condition=\"contains all\">powershell;-enc</Details>", run("powershell -enc AAA")));
        assertFalse(blocks("<Details condition=\"contains all\">powershell;-nop</Details>", run("powershell -enc AAA")));
    }

    @Test
    void excludesAndItsListForms() throws Exception {
        assertTrue(blocks("<Details condition=\"excludes\">system32</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"excludes\">USERS</Details>", run("c:\\users\\x.exe")));
        // excludes any: at least one of the values is absent.
        assertTrue(blocks("<Details condition=\"excludes any\">users;system32</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"excludes any\">users;x.exe</Details>", run("c:\\users\\x.exe")));
        // excludes all: none of the values is present.
        assertTrue(blocks("<Details condition=\"excludes all\">system32;windows</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"excludes all\">system32;users</Details>", run("c:\\users\\x.exe")));
    }

    @Test
    void beginAndEndWithAndTheirNegations() throws Exception {
        assertTrue(blocks("<Details condition=\"begin with\">C:\\USERS\\</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"begin with\">users</Details>", run("c:\\users\\x.exe")));
        assertTrue(blocks("<Details condition=\"not begin with\">C:\\Windows\\</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"not begin with\">c:\\users</Details>", run("c:\\users\\x.exe")));
        assertTrue(blocks("<Details condition=\"end with\">.EXE</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"end with\">.dll</Details>", run("c:\\users\\x.exe")));
        assertTrue(blocks("<Details condition=\"not end with\">.dll</Details>", run("c:\\users\\x.exe")));
        assertFalse(blocks("<Details condition=\"not end with\">X.exe</Details>", run("c:\\users\\x.exe")));
    }

    /**
     * Sysmon documents less than / more than as "Lexicographical comparison is less (more)
     * than zero": numbers are compared as text too, so pid 900 is more than "1000".
     */
    @Test
    void lessAndMoreThanCompareNumbersAsTextAsSysmonDocuments() throws Exception {
        RegistryEvent e = event(Operation.SET_VALUE, "HKLM\\SOFTWARE\\X", "v", "", PS, "", 900, 1, ValueRendering.sz("x"));
        assertFalse(blocks("<ProcessId condition=\"less than\">1000</ProcessId>", e), "\"900\" > \"1000\" as text");
        assertTrue(blocks("<ProcessId condition=\"more than\">1000</ProcessId>", e));
        assertTrue(blocks("<ProcessId condition=\"less than\">901</ProcessId>", e));
        assertTrue(blocks("<ProcessId condition=\"more than\">0x10</ProcessId>", e), "'9' > '0'");
        assertTrue(blocks("<ProcessId>900</ProcessId>", e));
        assertTrue(blocks("<ProcessId condition=\"is any\">1;900</ProcessId>", e));
        assertFalse(blocks("<ProcessId condition=\"is not\">900</ProcessId>", e));
    }

    @Test
    void lessAndMoreThanCompareTextAsText() throws Exception {
        assertTrue(blocks("<Details condition=\"less than\">b</Details>", run("A")));
        assertFalse(blocks("<Details condition=\"more than\">b</Details>", run("A")));
        assertTrue(blocks("<Details condition=\"more than\">DWORD (0x00000001)</Details>",
                setValue(RUN, PS, RegistryValueType.REG_DWORD, ValueRendering.dword(4))));
    }

    @Test
    void imageConditionMatchesABareNameOrAFullPath() throws Exception {
        assertTrue(blocks("<Image condition=\"image\">PowerShell.exe</Image>", run("x")));
        assertTrue(blocks("<Image condition=\"image\">c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe</Image>", run("x")));
        assertFalse(blocks("<Image condition=\"image\">C:\\Temp\\powershell.exe</Image>", run("x")), "full path must match whole");
        assertFalse(blocks("<Image condition=\"image\">shell.exe</Image>", run("x")), "a bare name is the whole file name");
        RegistryEvent ntPath = setString(RUN, "\\??\\C:\\Windows\\System32\\reg.exe", "x");
        assertTrue(blocks("<Image condition=\"image\">C:\\Windows\\System32\\reg.exe</Image>", ntPath));
    }

    @Test
    void detailsMatchesTheSysmonRendering() throws Exception {
        RegistryEvent disable = setValue("HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Start", "services.exe",
                RegistryValueType.REG_DWORD, ValueRendering.dword(4));
        assertTrue(blocks("<Details>DWORD (0x00000004)</Details>", disable));
        assertTrue(blocks("<Details condition=\"begin with\">Binary</Details>",
                setValue(RUN, PS, RegistryValueType.REG_BINARY, new byte[] {1})));
    }

    @Test
    void userMatchesWellKnownServiceSidsByName() throws Exception {
        RegistryEvent bySystem = event(Operation.SET_VALUE, "HKLM\\SOFTWARE\\X", "v", "", PS, "S-1-5-18", 4, 1, ValueRendering.sz("x"));
        assertTrue(blocks("<User>NT AUTHORITY\\SYSTEM</User>", bySystem));
        RegistryEvent byUser = event(Operation.SET_VALUE, "HKLM\\SOFTWARE\\X", "v", "", PS, "S-1-5-21-1-2-3-1001", 4, 1, ValueRendering.sz("x"));
        assertTrue(blocks("<User condition=\"begin with\">S-1-5-21-</User>", byUser));
    }

    @Test
    void newNameIsTheRenamedKeysFullPath() throws Exception {
        RegistryEvent rename = event(Operation.RENAME_KEY, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunX", "",
                "Run", PS, "", 4, 0, new byte[0]);
        assertTrue(blocks("<NewName condition=\"is\">HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run</NewName>", rename));
    }

    @Test
    void aFieldTheOperationLacksMatchesNothingNotEvenNegated() throws Exception {
        RegistryEvent create = keyOp(Operation.CREATE_KEY, "HKLM\\SOFTWARE\\X", PS);
        assertFalse(blocks("<Details condition=\"is not\">anything</Details>", create));
        assertFalse(blocks("<NewName condition=\"excludes\">x</NewName>", create));
        assertFalse(blocks("<ValueName condition=\"is not\">x</ValueName>", create));
    }

    @Test
    void eventTypeSelectsOperationsAndRulesWithoutItCoverOnlySysmonsOperations() throws Exception {
        assertTrue(blocks("<EventType>SetValue</EventType>", run("x")));
        assertFalse(blocks("<EventType>DeleteValue</EventType>", run("x")));
        RegistryEvent open = keyOp(Operation.OPEN_KEY, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", PS);
        assertFalse(blocks("<TargetObject condition=\"begin with\">HKLM\\SOFTWARE</TargetObject>", open),
                "reading a key is never caught by a rule that does not ask for OpenKey");
        assertTrue(blocks("<EventType>OpenKey</EventType>", open));
        assertFalse(blocks("<EventType condition=\"is not\">SetValue</EventType>", open), "is not stays within Sysmon's operations");
    }

    @Test
    void valueNameExtensionSeesOnlyTheValueName() throws Exception {
        assertTrue(blocks("<ValueName>updater</ValueName>", run("x")));
        RegistryEvent unnamed = setString("HKLM\\SOFTWARE\\X\\(Default)", PS, "x");
        assertTrue(blocks("<ValueName>(Default)</ValueName>", unnamed));
    }

    // ------------------------------------------------------------------ paths in rules

    @Test
    void hkcuInARuleMatchesEveryUsersHive() throws Exception {
        String rule = "<TargetObject condition=\"begin with\">HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\</TargetObject>";
        assertTrue(blocks(rule, setString("HKU\\S-1-5-21-1-2-3-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x", PS, "y")));
        assertTrue(blocks(rule, setString("HKU\\.DEFAULT\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x", PS, "y")));
        assertFalse(blocks(rule, setString("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x", PS, "y")));
        assertTrue(blocks("<TargetObject condition=\"begin with\">HKCU\\Software\\Classes\\CLSID\\</TargetObject>",
                setString("HKU\\S-1-5-21-1-2-3-1104_Classes\\CLSID\\{x}\\InprocServer32\\(Default)", PS, "evil.dll")),
                "HKCU\\Software\\Classes is the per-user classes hive");
    }

    @Test
    void rulePathsAreFoldedToTheSysmonSpelling() throws Exception {
        RegistryEvent fax = setString("HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath", "services.exe", "x");
        assertTrue(blocks("<TargetObject condition=\"begin with\">HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Fax</TargetObject>", fax));
        RegistryEvent clsid = setString("HKCR\\CLSID\\{x}\\InprocServer32\\(Default)", PS, "x");
        assertTrue(blocks("<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Classes\\CLSID\\</TargetObject>", clsid));
    }

    // ------------------------------------------------------------------ grouping

    @Test
    void sameFieldIsOrDifferentFieldsAreAndInsideARule() throws Exception {
        String rule = "<Rule groupRelation=\"and\"><Details condition=\"contains\">evil</Details><Details condition=\"contains\">bad</Details>"
                + "<Image condition=\"image\">powershell.exe</Image></Rule>";
        assertTrue(blocks(rule, run("evil")), "either Details condition suffices");
        assertTrue(blocks(rule, run("bad")));
        assertFalse(blocks(rule, run("good")), "no Details condition holds");
        assertFalse(blocks(rule, setString(RUN, "C:\\x\\reg.exe", "evil")), "Image must hold too");
    }

    @Test
    void ruleWithGroupRelationOrMakesEachFilterARule() throws Exception {
        String rule = "<Rule groupRelation=\"or\"><Details>evil</Details><Image condition=\"image\">reg.exe</Image></Rule>";
        assertTrue(blocks(rule, run("evil")));
        assertTrue(blocks(rule, setString(RUN, "C:\\x\\reg.exe", "good")));
        assertFalse(blocks(rule, run("good")));
    }

    @Test
    void ruleGroupOrMakesEachLooseFilterARule() throws Exception {
        CompiledPolicy p = of("<RuleGroup groupRelation=\"or\" action=\"block\"><RegistryEvent onmatch=\"include\">"
                + "<Details>evil</Details><Image condition=\"image\">reg.exe</Image></RegistryEvent></RuleGroup>");
        assertTrue(p.decide(run("evil")).blocks());
        assertTrue(p.decide(setString(RUN, "C:\\x\\reg.exe", "good")).blocks());
    }

    @Test
    void ruleGroupAndCombinesLooseFilters() throws Exception {
        CompiledPolicy p = of("<RuleGroup groupRelation=\"and\" action=\"block\"><RegistryEvent onmatch=\"include\">"
                + "<Details>evil</Details><Image condition=\"image\">reg.exe</Image></RegistryEvent></RuleGroup>");
        assertFalse(p.decide(run("evil")).blocks());
        assertFalse(p.decide(setString(RUN, "C:\\x\\reg.exe", "good")).blocks());
        assertTrue(p.decide(setString(RUN, "C:\\x\\reg.exe", "evil")).blocks());
    }

    @Test
    void ruleGroupDefaultsToAnd() throws Exception {
        CompiledPolicy p = of("<RuleGroup action=\"block\"><RegistryEvent onmatch=\"include\">"
                + "<Details>evil</Details><Image condition=\"image\">reg.exe</Image></RegistryEvent></RuleGroup>");
        assertFalse(p.decide(run("evil")).blocks());
    }

    @Test
    void legacyFilesWithoutRuleGroupTreatEachFilterAsARule() throws Exception {
        CompiledPolicy p = of("<RegistryEvent onmatch=\"include\" action=\"block\"><Details>evil</Details>"
                + "<Image condition=\"image\">reg.exe</Image></RegistryEvent>");
        assertTrue(p.decide(run("evil")).blocks());
        assertTrue(p.decide(setString(RUN, "C:\\x\\reg.exe", "good")).blocks());
    }

    // ------------------------------------------------------------------ precedence

    @Test
    void excludeWinsOverInclude() throws Exception {
        CompiledPolicy p = of("<RuleGroup groupRelation=\"or\" action=\"block\"><RegistryEvent onmatch=\"include\">"
                + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\</TargetObject>"
                + "</RegistryEvent><RegistryEvent onmatch=\"exclude\"><Image condition=\"image\">msiexec.exe</Image></RegistryEvent></RuleGroup>");
        assertTrue(p.decide(run("x")).blocks());
        Decision d = p.decide(setString(RUN, "C:\\Windows\\System32\\msiexec.exe", "x"));
        assertEquals(Action.ALLOW, d.action());
        assertNull(d.ruleName(), "an excluded event gets the default, not a rule");
    }

    @Test
    void excludeWinsEvenAcrossGroupsAndAgainstTheDefault() throws Exception {
        CompiledPolicy p = of("<HiveGuard defaultAction=\"audit\"/>",
                "<RuleGroup groupRelation=\"or\" action=\"block\"><RegistryEvent onmatch=\"include\"><Details>evil</Details></RegistryEvent></RuleGroup>"
                        + "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"exclude\"><Image condition=\"image\">reg.exe</Image></RegistryEvent></RuleGroup>");
        assertEquals(Action.BLOCK, p.decide(run("evil")).action());
        assertEquals(Action.AUDIT, p.decide(setString(RUN, "C:\\reg.exe", "evil")).action(), "excluded: the default (audit)");
        assertEquals(Action.AUDIT, p.decide(run("good")).action(), "no rule: the default");
    }

    @Test
    void mostSevereIncludeWinsThenTheEarlierRule() throws Exception {
        CompiledPolicy p = of(
                "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\" action=\"allow\"><Details name=\"allow-it\">evil</Details></RegistryEvent></RuleGroup>"
                        + "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\" action=\"audit\"><Details name=\"audit-1\" condition=\"contains\">e</Details>"
                        + "<Details name=\"audit-2\" condition=\"contains\">v</Details></RegistryEvent></RuleGroup>"
                        + "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\" action=\"block\"><Details name=\"block-it\">evil</Details></RegistryEvent></RuleGroup>");
        assertEquals(Decision.of(Action.BLOCK, "block-it"), p.decide(run("evil")));
        assertEquals(Decision.of(Action.AUDIT, "audit-1"), p.decide(run("ev")), "two audits match: the first in the file names it");
        assertEquals(Decision.of(Action.AUDIT, "audit-2"), p.decide(run("v")));
    }

    @Test
    void includeWithoutActionAuditsAsSysmonWouldLogIt() throws Exception {
        CompiledPolicy p = of("<RegistryEvent onmatch=\"include\"><Details>evil</Details></RegistryEvent>");
        assertEquals(Action.AUDIT, p.decide(run("evil")).action());
        assertEquals(Action.ALLOW, p.decide(run("good")).action());
    }

    @Test
    void anExcludeOnlySectionAuditsEverythingElseAsSysmonLogsIt() throws Exception {
        CompiledPolicy p = of("<RegistryEvent onmatch=\"exclude\"><Image condition=\"image\">svchost.exe</Image></RegistryEvent>");
        assertEquals(Action.AUDIT, p.decide(run("x")).action());
        assertEquals(Action.ALLOW, p.decide(setString(RUN, "C:\\Windows\\System32\\svchost.exe", "x")).action());
    }

    @Test
    void actionsInheritFromGroupToSectionToRuleToFilter() throws Exception {
        CompiledPolicy p = of("<RuleGroup groupRelation=\"or\" action=\"block\" timeout=\"900\" failmode=\"closed\">"
                + "<RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<Rule name=\"r\" action=\"block\"><Details>a</Details></Rule>"
                + "<Details name=\"f\" action=\"allow\">b</Details>"
                + "<Details name=\"s\">c</Details></RegistryEvent></RuleGroup>");
        assertEquals(Decision.of(Action.BLOCK, "r"), p.decide(run("a")));
        assertEquals(Decision.of(Action.ALLOW, "f"), p.decide(run("b")));
        assertEquals(Decision.of(Action.AUDIT, "s"), p.decide(run("c")));
        PolicyRule r = p.document().rules().get(0);
        assertEquals(900, r.timeoutMs());
        assertEquals(dev.hiveguard.model.FailMode.CLOSED, r.failMode());
    }

    @Test
    void ruleNamesComeFromFilterRuleOrGroupOrTheLine() throws Exception {
        CompiledPolicy p = of("<RuleGroup name=\"grp\" groupRelation=\"or\" action=\"block\"><RegistryEvent onmatch=\"include\">"
                + "<Details>a</Details>\n<Rule><Details>b</Details></Rule><Rule name=\"named\"><Details>c</Details></Rule>"
                + "<Details name=\"filter\">d</Details></RegistryEvent></RuleGroup><RegistryEvent onmatch=\"include\">\n<Details>e</Details></RegistryEvent>");
        assertEquals("grp", p.decide(run("a")).ruleName());
        assertEquals("grp", p.decide(run("b")).ruleName());
        assertEquals("named", p.decide(run("c")).ruleName());
        assertEquals("filter", p.decide(run("d")).ruleName());
        assertEquals("test.xml:3", p.decide(run("e")).ruleName(), "no name anywhere: where the filter is");
    }

    @Test
    void auditOnlyModeTurnsBlocksIntoWouldBlockAudits() throws Exception {
        CompiledPolicy p = of("<HiveGuard mode=\"audit-only\" defaultAction=\"block\"/>",
                block("<Details name=\"x\">evil</Details>"));
        assertEquals(new Decision(Action.AUDIT, "x", true), p.decide(run("evil")));
        assertEquals(new Decision(Action.AUDIT, null, true), p.decide(run("good")), "the default block is downgraded too");
        assertEquals(0, p.subscription().verdictOpMask(), "nothing waits in audit-only mode");
    }

    @Test
    void operationsOutsideTheScopeAreAllowedEvenWithADefaultBlock() throws Exception {
        CompiledPolicy p = of("<HiveGuard defaultAction=\"block\"/>", block("<Details>x</Details>"));
        assertEquals(Action.ALLOW, p.decide(keyOp(Operation.OPEN_KEY, "HKLM\\SOFTWARE", PS)).action());
        assertEquals(Action.BLOCK, p.decide(keyOp(Operation.CREATE_KEY, "HKLM\\SOFTWARE", PS)).action());
    }

    @Test
    void theHashIgnoresFormattingButNotMeaning() throws Exception {
        String a = of(block("<Details>x</Details>")).hash();
        String b = of(block("\n  <!-- same rule -->\n  <Details>x</Details>\n")).hash();
        String c = of(block("<Details>y</Details>")).hash();
        assertEquals(a, b);
        assertFalse(a.equals(c));
        assertEquals(64, a.length());
    }
}
