package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the kernel subscription gets from a Sigma rule's TargetObject tests, construct by
 * construct: prefixes, SUFFIX and CONTAINS entries (Sysmon's rendering - HKLM, HKU, HKCR,
 * CurrentControlSet, (Default) - turned into kernel text as for Sysmon rules), or everything
 * where no sound cover exists. Each case also checks that the events the rule blocks, in
 * every spelling that reaches it, are delivered and wait for a verdict, and that an event
 * elsewhere stays in the kernel.
 */
class SigmaPatternCoverTest {

    private static final String ELSEWHERE = "HKLM\\SOFTWARE\\Vendor\\Product\\Setting";

    private static CompiledPolicy blocking(String category, String detection) throws Exception {
        String yaml = SigmaSemanticsTest.rule(category, detection).replace("level: high", "level: critical");
        CompiledPolicy p = SigmaSemanticsTest.policy(yaml);
        assertEquals(Action.BLOCK, p.document().rules().get(0).action(), "critical blocks by default");
        return p;
    }

    /** The include entries, "MATCH TARGET text" (ops left out), in table order. */
    private static List<String> includes(CompiledPolicy p) {
        List<String> out = new ArrayList<>();
        for (Subscription.Prefix x : p.subscription().prefixes()) {
            if (x.include()) {
                out.add(x.match() + " " + x.target() + " " + x.prefix());
            }
        }
        return out;
    }

    /** The AND groups (wire minor 3) as {@code policy show} prints them, with their kind and verdict flag. */
    private static List<String> groups(CompiledPolicy p) {
        List<String> out = new ArrayList<>();
        for (Subscription.Group g : p.subscription().groups()) {
            out.add((g.include() ? "include " : "exclude ") + (g.verdict() ? "verdict " : "") + g.describe());
        }
        return out;
    }

    /** Every event given is blocked by the policy, delivered and made to wait. */
    private static void blockedAndDelivered(CompiledPolicy p, RegistryEvent... events) {
        for (RegistryEvent e : events) {
            assertEquals(Action.BLOCK, p.decide(e).action(), () -> "the rule should block " + e);
            SubscriptionMatcher.Match m = SubscriptionMatcher.match(p.subscription(), e, e.image(), false);
            assertTrue(m.delivered(), () -> "kept in the kernel: " + e.keyPath() + " [" + e.valueName() + "]");
            assertTrue(m.wantsVerdict(), () -> "does not wait: " + e.keyPath() + " [" + e.valueName() + "]");
        }
    }

    private static boolean delivered(CompiledPolicy p, RegistryEvent e) {
        return SubscriptionMatcher.match(p.subscription(), e, e.image(), false)
                .delivered();
    }

    private static RegistryEvent set(String target) {
        return SigmaSemanticsTest.set(target, "DWORD (0x00000001)", "C:\\Windows\\x.exe");
    }

    private static String sel(String lines) {
        return "    sel:\n" + lines + "    condition: sel\n";
    }

    @Test
    void containsBecomesAContainsEntryOnTheFullName() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel("        TargetObject|contains: '\\CurrentVersion\\Run\\'\n"));
        assertEquals(List.of("CONTAINS FULL_NAME \\CurrentVersion\\Run\\"), includes(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Evil"),
                set("HKU\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Evil"),
                set("HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run\\(Default)"));
        assertFalse(delivered(p, set(ELSEWHERE)));
    }

    @Test
    void endswithBecomesASuffixEntry() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel("        TargetObject|endswith:\n"
                + "            - '\\Policies\\System\\EnableLUA'\n            - '\\AutoShareWks'\n"));
        assertEquals(List.of("SUFFIX FULL_NAME \\Policies\\System\\EnableLUA", "SUFFIX FULL_NAME \\AutoShareWks"),
                includes(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\EnableLUA"),
                set("HKLM\\System\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\AutoShareWks"));
        assertFalse(delivered(p, set(ELSEWHERE)));
    }

    /** Sysmon writes the unnamed value as (Default); the kernel's full name ends in '\' there. */
    @Test
    void theDefaultValueNameIsCoveredByWhatPrecedesIt() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel("        TargetObject|endswith: '\\shell\\open\\command\\(Default)'\n"));
        assertEquals(List.of("CONTAINS FULL_NAME \\shell\\open\\command\\"), includes(p));
        blockedAndDelivered(p, set("HKCR\\ms-settings\\shell\\open\\command\\(Default)"),
                set("HKU\\S-1-5-21-1-2-3-1001_Classes\\ms-settings\\shell\\open\\command\\(Default)"));
        assertFalse(delivered(p, set(ELSEWHERE)));
    }

    /** HKCR and CurrentControlSet are Sysmon's names; the kernel has SOFTWARE\Classes and ControlSet00N. */
    @Test
    void renderedRootsAndControlSetsAreLeftOutOfTheKernelText() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel("        TargetObject|contains:\n"
                + "            - 'HKCR\\CLSID\\'\n"
                + "            - '\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\'\n"));
        assertEquals(List.of("CONTAINS FULL_NAME \\CLSID\\", "CONTAINS FULL_NAME \\Services\\LanmanServer\\Parameters\\"),
                includes(p));
        blockedAndDelivered(p, set("HKCR\\CLSID\\{0000-1111}\\InprocServer32\\(Default)"),
                set("HKLM\\System\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\AutoShareServer"));
        assertFalse(delivered(p, set(ELSEWHERE)));
    }

    @Test
    void startswithStaysAKernelPrefix() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel(
                "        TargetObject|startswith: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\'\n"));
        assertEquals(List.of("PREFIX FULL_NAME \\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\"),
                includes(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"));
        assertFalse(delivered(p, set(ELSEWHERE)));
    }

    /**
     * A wildcard in the middle: the longest literal run, as CONTAINS (or SUFFIX when it ends the
     * value). In Sigma a backslash before '*' escapes it, so a path separator before a wildcard
     * is written doubled.
     */
    @Test
    void aWildcardValueIsCoveredByItsMostSelectiveLiteralRun() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel(
                "        TargetObject: 'HKLM\\SOFTWARE\\\\*\\Shell\\Open\\Command*'\n"));
        assertEquals(List.of("CONTAINS FULL_NAME \\Shell\\Open\\Command"), includes(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Microsoft\\Shell\\Open\\Command\\(Default)"),
                set("HKLM\\SOFTWARE\\Vendor\\Shell\\Open\\CommandLine"));
        assertFalse(delivered(p, set(ELSEWHERE)));

        CompiledPolicy q = blocking("registry_set", sel("        TargetObject: 'HKU\\\\*\\Environment\\windir'\n"));
        assertEquals(List.of("SUFFIX FULL_NAME \\Environment\\windir"), includes(q));
        blockedAndDelivered(q, set("HKU\\S-1-5-21-1-2-3-1001\\Environment\\windir"));
        assertFalse(delivered(q, set(ELSEWHERE)));
    }

    /** AND (wire minor 3): a group with a clause per part - prefix, suffix and Details alike. */
    @Test
    void anAndBecomesAGroupWithAClausePerPart() throws Exception {
        CompiledPolicy p = blocking("registry_set", "    a:\n        TargetObject|startswith: 'HKLM\\SOFTWARE\\'\n"
                + "    b:\n        TargetObject|endswith: '\\Windows Defender\\DisableAntiSpyware'\n"
                + "    c:\n        Details: 'DWORD (0x00000001)'\n    condition: a and b and c\n");
        // wire minor 3: the AND is one INCLUDE group, a clause per part; no standalone entry
        assertEquals(List.of(), includes(p));
        assertEquals(List.of("include verdict \\REGISTRY\\MACHINE\\SOFTWARE\\ (key\\value) AND *\\Windows Defender\\DisableAntiSpyware (key\\value) AND *DWORD (0x00000001)* (details)"),
                groups(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"));
    }

    /** |all: every value must occur, so each is a clause of one group. */
    @Test
    void containsAllBecomesAGroupOfItsValues() throws Exception {
        CompiledPolicy p = blocking("registry_set", sel("        TargetObject|contains|all:\n"
                + "            - '\\Microsoft\\'\n            - '\\Windows Defender\\Exclusions\\'\n"));
        // wire minor 3: the AND is one INCLUDE group, a clause per part; no standalone entry
        assertEquals(List.of(), includes(p));
        assertEquals(List.of("include verdict *\\Microsoft\\* (key\\value) AND *\\Windows Defender\\Exclusions\\* (key\\value)"),
                groups(p));
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Paths\\C:\\x"));
    }

    /** Key classes match the key path, value classes the full name. */
    @Test
    void keyAndValueClassesGetTheirOwnTargets() throws Exception {
        CompiledPolicy p = blocking("registry_event", sel("        TargetObject|endswith: '\\Image File Execution Options\\evil.exe'\n"));
        assertEquals(List.of("SUFFIX KEY_PATH \\Image File Execution Options\\evil.exe",
                "SUFFIX FULL_NAME \\Image File Execution Options\\evil.exe"), includes(p));
        blockedAndDelivered(p, SigmaSemanticsTest.key("CreateKey",
                "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\evil.exe"));
    }

    /** The include entries with their classes, "MATCH TARGET text [classes]". */
    private static List<String> includesWithClasses(CompiledPolicy p) {
        List<String> out = new ArrayList<>();
        for (Subscription.Prefix x : p.subscription().prefixes()) {
            if (x.include()) {
                List<String> ops = new ArrayList<>();
                for (Operation op : Operation.values()) {
                    if ((x.opMask() & op.bit()) != 0) {
                        ops.add(op.eventType());
                    }
                }
                out.add(x.match() + " " + x.target() + " " + x.prefix() + " " + ops);
            }
        }
        return out;
    }

    private static RegistryEvent rename(String target, String newName) {
        com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode();
        o.put("EventID", 14).put("EventType", "RenameKey").put("TargetObject", target).put("NewName", newName)
                .put("Image", "C:\\x.exe").put("ProcessId", 1234);
        return dev.hiveguard.policy.DatasetEvents.toEvent(o, 1);
    }

    /** A branch on NewName alone can only match a RenameKey: that class alone is delivered whole. */
    @Test
    void aNewNameBranchCostsOnlyRenameKey() throws Exception {
        CompiledPolicy p = blocking("registry_event", "    sel:\n"
                + "        - TargetObject|endswith: '\\Windows\\AppInit_Dlls'\n"
                + "        - NewName|endswith: '\\Windows\\AppInit_Dlls'\n    condition: sel\n");
        // RenameKey: the old path (TargetObject) or the new one (NewName, a NEW_NAME entry).
        assertEquals(List.of("SUFFIX KEY_PATH \\Windows\\AppInit_Dlls [CreateKey, DeleteKey, RenameKey]",
                "SUFFIX FULL_NAME \\Windows\\AppInit_Dlls [SetValue, DeleteValue]",
                "SUFFIX NEW_NAME \\Windows\\AppInit_Dlls [RenameKey]"), includesWithClasses(p));
        String key = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows";
        blockedAndDelivered(p, set(key + "\\AppInit_Dlls"), SigmaSemanticsTest.key("CreateKey", key + "\\AppInit_Dlls"),
                rename(key + "\\Other", key + "\\AppInit_Dlls"));
        assertFalse(delivered(p, set(ELSEWHERE)));
        assertFalse(delivered(p, SigmaSemanticsTest.key("CreateKey", ELSEWHERE)));
        assertFalse(delivered(p, rename(ELSEWHERE, ELSEWHERE + "2")));
    }

    /**
     * Folded per class: "not Details: null" is false for every class but SetValue (no Details
     * there), so a rule on Image alone needs the SetValues of that image (an IMAGE suffix) and
     * nothing else; an EventType test decides its class outright.
     */
    @Test
    void testsOnFieldsAClassDoesNotCarryAreFoldedAway() throws Exception {
        CompiledPolicy p = blocking("registry_event", "    sel:\n        Image|endswith: '\\wscript.exe'\n"
                + "    filter:\n        Details: null\n    condition: sel and not filter\n");
        assertEquals(List.of("SUFFIX IMAGE \\wscript.exe [SetValue]"), includesWithClasses(p));
        assertFalse(delivered(p, SigmaSemanticsTest.key("CreateKey", ELSEWHERE)));
        blockedAndDelivered(p, SigmaSemanticsTest.set(ELSEWHERE, "1", "C:\\Windows\\System32\\WScript.exe"));
        assertFalse(delivered(p, SigmaSemanticsTest.set(ELSEWHERE, "1", "C:\\Windows\\System32\\cscript.exe")));

        CompiledPolicy q = blocking("registry_event", "    a:\n        TargetObject|contains: '\\Services\\HybridConnectionManager'\n"
                + "    b:\n        EventType: SetValue\n        Details|contains: 'HybridConnectionManager.Listener.exe'\n"
                + "    condition: a or b\n");
        // SetValue: the path OR the data (a DATA entry), no longer the whole class.
        assertEquals(List.of("CONTAINS KEY_PATH \\Services\\HybridConnectionManager [CreateKey, DeleteKey, RenameKey]",
                "CONTAINS FULL_NAME \\Services\\HybridConnectionManager [SetValue, DeleteValue]",
                "CONTAINS DATA HybridConnectionManager.Listener.exe [SetValue]"), includesWithClasses(q));
        blockedAndDelivered(q, SigmaSemanticsTest.set(ELSEWHERE, "C:\\x\\hybridconnectionmanager.listener.exe /s",
                "C:\\x.exe"));
        assertFalse(delivered(q, SigmaSemanticsTest.set(ELSEWHERE, "C:\\x\\other.exe", "C:\\x.exe")));
    }

    /**
     * An AND of a path every CurrentVersion key shares and a list of key names: one group, the list
     * one clause of alternatives (without a group the list alone is sent: TargetCoverTermsTest).
     */
    @Test
    void anAndOverAListKeepsTheListAsOneClause() throws Exception {
        CompiledPolicy p = blocking("registry_set", "    base:\n"
                + "        TargetObject|contains: '\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion'\n"
                + "    keys:\n        TargetObject|contains:\n            - '\\Run\\'\n            - '\\RunOnce\\'\n"
                + "    condition: base and keys\n");
        // wire minor 3: the AND is one INCLUDE group, a clause per part; no standalone entry
        assertEquals(List.of(), includes(p));
        assertEquals(List.of("include verdict *\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion* (key\\value) AND (*\\Run\\* (key\\value) | *\\RunOnce\\* (key\\value))"),
                groups(p));
        blockedAndDelivered(p, set("HKU\\S-1-5-21-1-2-3-1001\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x"));
        assertFalse(delivered(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\x")));
    }

    /**
     * More contains values than the driver's automaton takes (HG_PATTERN_MAX_COUNT): the
     * compiler widens those rules to everything, says so in a note, and still loses nothing.
     */
    @Test
    void moreSigmaPatternsThanTheDriverTakesWidenWithANote(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        int rules = Subscription.PATTERN_MAX_COUNT + 100;
        for (int i = 0; i < rules; i++) {
            String yaml = SigmaSemanticsTest.rule("registry_set", sel("        TargetObject|contains: '\\Vendor" + i
                    + "\\Setting\\'\n")).replace("level: high", "level: critical")
                    .replace("0b4c1a57-0000-4000-8000-000000000001", String.format("0b4c1a57-0000-4000-8000-%012d", i));
            java.nio.file.Files.writeString(dir.resolve("r" + i + ".yml"), yaml);
        }
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load("many", SigmaSettings.defaults(), List.of(dir));
        assertEquals(rules, l.rules().size());
        CompiledPolicy p = CompiledPolicy.compile(l.document());
        assertTrue(p.subscription().patterns().isEmpty());
        assertTrue(p.subscriptionNotes().stream().anyMatch(n -> n.contains("exceed the driver's pattern automaton bounds")),
                () -> p.subscriptionNotes().toString());
        assertTrue(includes(p).contains("PREFIX KEY_PATH \\"), () -> includes(p).toString());
        blockedAndDelivered(p, set("HKLM\\SOFTWARE\\Vendor7\\Setting\\x"),
                set("HKU\\S-1-5-21-1-2-3-1001\\Software\\Vendor2100\\Setting\\(Default)"));
    }

    /**
     * An OR of a path test and an Image test: the driver ORs a path pattern with an IMAGE one
     * (wire minor 2: an equality on a drive-letter path is EXACT on the image's Sysmon form, a
     * startswith PREFIX), so each branch keeps its own cover.
     */
    @Test
    void anImageBranchIsCoveredOnTheCallersImage() throws Exception {
        CompiledPolicy p = blocking("registry_set", "    a:\n        TargetObject|contains: '\\CurrentVersion\\Run\\'\n"
                + "    b:\n        Image: 'C:\\Windows\\regedit.exe'\n    condition: 1 of them\n");
        assertEquals(List.of("CONTAINS FULL_NAME \\CurrentVersion\\Run\\", "EXACT IMAGE C:\\Windows\\regedit.exe"),
                includes(p));
        CompiledPolicy starts = blocking("registry_set", "    a:\n        TargetObject|contains: '\\CurrentVersion\\Run\\'\n"
                + "    b:\n        Image|startswith: 'C:\\Users\\Public\\'\n    condition: 1 of them\n");
        assertEquals(List.of("CONTAINS FULL_NAME \\CurrentVersion\\Run\\", "PREFIX IMAGE C:\\Users\\Public\\"),
                includes(starts));
        blockedAndDelivered(p, SigmaSemanticsTest.set(ELSEWHERE, "1", "C:\\Windows\\regedit.exe"),
                set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Evil"));
        assertFalse(delivered(p, SigmaSemanticsTest.set(ELSEWHERE, "1", "C:\\Windows\\notepad.exe")));
    }

    /** No sound cover: an OR branch on another field, a negation, a regex, a root-only text. */
    /**
     * A branch on Details alone (wire minor 2) is a DATA entry, not every SetValue; an AND of a
     * wide path and a Details test takes the Details test (the path's key names are ubiquitous),
     * and a Details test on a DWORD - which half the SetValues render - loses to a path test.
     */
    @Test
    void detailsBranchesAndConjunctsBecomeDataEntries() throws Exception {
        CompiledPolicy p = blocking("registry_set", "    a:\n        TargetObject|contains: '\\CurrentVersion\\Run\\'\n"
                + "    b:\n        Details|contains: 'powershell'\n    condition: 1 of them\n");
        assertEquals(List.of("CONTAINS FULL_NAME \\CurrentVersion\\Run\\", "CONTAINS DATA powershell"), includes(p));
        blockedAndDelivered(p, SigmaSemanticsTest.set(ELSEWHERE, "PowerShell -enc AAAA", "C:\\x.exe"));
        assertFalse(delivered(p, set(ELSEWHERE)));

        CompiledPolicy q = blocking("registry_set", "    a:\n        TargetObject|contains: '\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion'\n"
                + "        Details|startswith: 'vbscript:'\n    condition: a\n");
        // wire minor 3: the AND is one INCLUDE group, a clause per part; no standalone entry
        assertEquals(List.of(), includes(q));
        assertEquals(List.of("include verdict *\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion* (key\\value) AND *vbscript:* (details)"),
                groups(q));
        blockedAndDelivered(q, SigmaSemanticsTest.set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
                "VBScript:Execute(1)", "C:\\x.exe"));
        assertFalse(delivered(q, set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x")));

        CompiledPolicy r = blocking("registry_set", "    a:\n        TargetObject|endswith: '\\Policies\\System\\EnableLUA'\n"
                + "        Details: 'DWORD (0x00000000)'\n    condition: a\n");
        // wire minor 3: the AND is one INCLUDE group, a clause per part; no standalone entry
        assertEquals(List.of(), includes(r));
        assertEquals(List.of("include verdict *\\Policies\\System\\EnableLUA (key\\value) AND *DWORD (0x00000000)* (details)"),
                groups(r));
    }

    @Test
    void whatHasNoCoverNeedsEverything() throws Exception {
        String[] detections = {
            sel("        Image|contains: 'C:\\'\n"),
            "    a:\n        TargetObject|contains: '\\CurrentVersion\\Run\\'\n    condition: not a\n",
            sel("        TargetObject|re: '.*\\\\Run\\\\[^\\\\]+$'\n"),
            sel("        TargetObject|contains: 'HKLM\\'\n"),
        };
        for (String d : detections) {
            CompiledPolicy p = blocking("registry_set", d);
            assertEquals(List.of("PREFIX KEY_PATH \\"), includes(p), d);
        }
    }
}
