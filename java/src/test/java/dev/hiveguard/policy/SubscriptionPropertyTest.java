package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.wire.Wire;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: the subscription a policy compiles to never keeps in the kernel an event the
 * policy would treat differently from the kernel's own answer (allow), and every event the
 * policy would block waits for a verdict with at least the rule's timeout and, when the
 * rule asks, a closed fail mode. Checked with the Java mirror of the driver's matcher
 * (same upcase table, same longest-prefix rule) over seeded random policies and events.
 */
class SubscriptionPropertyTest {

    private static final long SEED = 0x5EED_2026L;
    private static final int POLICIES = 60;
    private static final int EVENTS_PER_POLICY = 4000;

    @Test
    void randomPoliciesNeverLoseAnEventTheyActOn() throws Exception {
        Random rnd = new Random(SEED);
        long checked = 0;
        long delivered = 0;
        long includePatterns = 0;
        long excludePatterns = 0;
        long imagePatterns = 0;
        long imageExcludes = 0;
        for (int p = 0; p < POLICIES; p++) {
            PolicyDocument doc = RandomPolicies.policy(rnd, 1 + rnd.nextInt(40), true);
            checked += check(doc, rnd, EVENTS_PER_POLICY);
            CompiledPolicy compiled = CompiledPolicy.compile(doc);
            delivered += deliveredCount(compiled, rnd);
            for (Subscription.Prefix x : compiled.subscription().patterns()) {
                includePatterns += x.include() ? 1 : 0;
                excludePatterns += x.include() ? 0 : 1;
                imagePatterns += x.target() == Subscription.Target.IMAGE ? 1 : 0;
                imageExcludes += x.target() == Subscription.Target.IMAGE && !x.include() ? 1 : 0;
            }
        }
        assertEquals((long) POLICIES * EVENTS_PER_POLICY, checked);
        assertTrue(delivered > 0);
        // The property covers the kernel's pattern entries, not only its prefixes.
        assertTrue(includePatterns > 50, "include patterns: " + includePatterns);
        assertTrue(excludePatterns > 0, "exclude patterns: " + excludePatterns);
        // ... and its IMAGE entries (rules narrowed by the caller's image only).
        assertTrue(imagePatterns > 10, "image patterns: " + imagePatterns);
        assertTrue(imageExcludes > 0, "image exclusions: " + imageExcludes);
    }

    /**
     * A rule on Image alone (SwiftOnSecurity's and Neo23x0's "every write by regedit") no longer
     * needs everything: the part after the drive is an IMAGE suffix. It selects the same path on
     * any volume and under any folder - more, never less - and exclusions by image stay in user
     * mode (a suffix after the drive would hide C:\Users\x\Windows\regedit.exe too).
     */
    /**
     * Exclusions by image reach the kernel only as file names, the one part of the path the
     * kernel form and Sysmon's share whatever the volume or folder: {@code image} with a bare
     * name and {@code end with} a single segment. A longer text or a whole path stays in user mode.
     */
    @Test
    void imageExclusionsReachTheKernelOnlyAsFileNames() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\</TargetObject></RegistryEvent>"
                + "<RegistryEvent onmatch=\"exclude\">"
                + "<Image condition=\"image\">MsMpEng.exe</Image>"
                + "<Image condition=\"end with\">\\quiet.exe</Image>"
                + "<Image condition=\"end with\">\\Tools\\loud.exe</Image>"
                + "<Image condition=\"end with\">:\\x.exe</Image>"
                + "<Image condition=\"is\">C:\\Windows\\System32\\svchost.exe</Image>"
                + "<Image condition=\"contains\">\\Temp\\</Image></RegistryEvent>");
        Subscription s = p.subscription();
        List<String> ex = s.patterns().stream().filter(x -> !x.include())
                .map(x -> x.match() + " " + x.target() + " " + x.prefix()).toList();
        assertEquals(List.of("SUFFIX IMAGE \\MsMpEng.exe", "SUFFIX IMAGE \\quiet.exe",
                "EXACT IMAGE C:\\Windows\\System32\\svchost.exe"), ex);
        String key = "HKLM\\SOFTWARE\\Vendor\\Setting";
        for (String image : List.of("C:\\ProgramData\\Microsoft\\Windows Defender\\MsMpEng.exe", "D:\\quiet.exe",
                "C:\\Tools\\loud.exe", "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\Temp\\a.exe",
                "C:\\Windows\\System32\\notepad.exe", "C:\\x\\notquiet.exe")) {
            verify(p, Policies.setString(key, image, "x"));
        }
        RegistryEvent defender = Policies.setString(key, "C:\\ProgramData\\MsMpEng.exe", "x");
        assertEquals(Action.ALLOW, verify(p, defender).action());
        assertFalse(SubscriptionMatcher.match(s, defender.operation(), defender.keyPath(), defender.valueName(),
                KernelImage.of(defender.image()), 1, false).delivered(), "excluded in the kernel");
        RegistryEvent notQuiet = Policies.setString(key, "C:\\x\\notquiet.exe", "x");
        assertEquals(Action.AUDIT, verify(p, notQuiet).action());
        // A whole drive-letter path is excluded in the kernel on the volume the map names, never elsewhere.
        Subscription mapped = s.withVolumes(ImagePaths.SIMULATED_VOLUMES);
        assertFalse(SubscriptionMatcher.match(mapped, defender.operation(), defender.keyPath(), defender.valueName(),
                "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe", 1, false).delivered());
        assertTrue(SubscriptionMatcher.match(mapped, defender.operation(), defender.keyPath(), defender.valueName(),
                "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe2", 1, false).delivered());
        assertTrue(SubscriptionMatcher.match(mapped, defender.operation(), defender.keyPath(), defender.valueName(),
                "\\Device\\HarddiskVolume30\\Windows\\System32\\svchost.exe", 1, false).delivered(),
                "a volume the map does not name: unmapped, never excluded");
    }

    /**
     * Wire minor 2, in the twin: DATA entries see SetValue's data as Sysmon's Details (the same
     * rendering the policy reads), NEW_NAME entries the rename's new full path; unknown data
     * (REG_MULTI_SZ, longer than the driver renders) counts for every include and no exclude.
     */
    @Test
    void dataAndNewNameEntriesSeeDetailsAndTheNewPathAndUnknownIsDelivered() {
        int set = dev.hiveguard.model.Operation.SET_VALUE.bit();
        int ren = dev.hiveguard.model.Operation.RENAME_KEY.bit();
        Subscription s = new Subscription(set | ren, set, false, Subscription.DEFAULT_TIMEOUT_MS, FailMode.OPEN,
                dev.hiveguard.model.Verdict.ALLOW, Subscription.DEFAULT_BACKLOG, Subscription.DEFAULT_DATA_CAP, List.of(
                new Subscription.Prefix(true, "VBScript", set, true, 0, FailMode.INHERIT, Subscription.Match.CONTAINS,
                        Subscription.Target.DATA),
                new Subscription.Prefix(true, "DWORD (0x0000000a)", set, false, 0, FailMode.INHERIT,
                        Subscription.Match.SUFFIX, Subscription.Target.DATA),
                new Subscription.Prefix(false, "quiet", set, false, 0, FailMode.INHERIT, Subscription.Match.CONTAINS,
                        Subscription.Target.DATA),
                new Subscription.Prefix(true, "\\CurrentVersion\\Run", ren, false, 0, FailMode.INHERIT,
                        Subscription.Match.SUFFIX, Subscription.Target.NEW_NAME)), List.of());
        String key = "HKLM\\SOFTWARE\\Vendor\\Setting";
        SubscriptionMatcher.Match m = SubscriptionMatcher.match(s, Policies.setString(key, "C:\\x.exe",
                "mshta vbscript:Execute(1)"), "", false);
        assertTrue(m.delivered() && m.wantsVerdict());
        assertFalse(SubscriptionMatcher.match(s, Policies.setString(key, "C:\\x.exe", "notepad.exe"), "", false)
                .delivered());
        assertFalse(SubscriptionMatcher.match(s, Policies.setString(key, "C:\\x.exe", "vbscript quiet"), "", false)
                .delivered(), "a DATA exclude wins");
        RegistryEvent ten = Policies.setValue(key, "C:\\x.exe", dev.hiveguard.model.RegistryValueType.REG_DWORD,
                new byte[] {10, 0, 0, 0});
        assertEquals("DWORD (0x0000000a)", SubscriptionMatcher.subjectOf(ten));
        assertTrue(SubscriptionMatcher.match(s, ten, "", false).delivered());
        // Unknown: REG_MULTI_SZ, or text longer than HG_DATA_MATCH_MAX_BYTES - delivered, quiet or not.
        RegistryEvent multi = Policies.setValue(key, "C:\\x.exe", dev.hiveguard.model.RegistryValueType.REG_MULTI_SZ,
                dev.hiveguard.model.ValueRendering.multiSz(List.of("quiet", "x")));
        assertEquals(null, SubscriptionMatcher.subjectOf(multi));
        assertTrue(SubscriptionMatcher.match(s, multi, "", false).wantsVerdict());
        // A long text is still known (the driver renders it into a buffer of its size), up to the cap.
        RegistryEvent longText = Policies.setString(key, "C:\\x.exe", "notepad.exe ".repeat(200) + "vbscript quiet");
        assertEquals("notepad.exe ".repeat(200) + "vbscript quiet", SubscriptionMatcher.subjectOf(longText));
        assertFalse(SubscriptionMatcher.match(s, longText, "", false).delivered(), "a long text's DATA exclude wins");
        RegistryEvent longer = Policies.setString(key, "C:\\x.exe",
                "quiet ".repeat(Wire.DATA_MATCH_MAX_BYTES / 2 / 6 + 1));
        assertEquals(null, SubscriptionMatcher.subjectOf(longer));
        assertTrue(SubscriptionMatcher.match(s, longer, "", false).delivered());
        // Other renderings do not depend on the data's length.
        RegistryEvent bigBinary = Policies.setValue(key, "C:\\x.exe", dev.hiveguard.model.RegistryValueType.REG_BINARY,
                new byte[Wire.DATA_MATCH_MAX_BYTES + 8]);
        assertEquals("Binary Data", SubscriptionMatcher.subjectOf(bigBinary));
        // RenameKey: the parent of the renamed key, a backslash and the new name.
        RegistryEvent rename = Policies.event(dev.hiveguard.model.Operation.RENAME_KEY,
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Old", "", "Run", "C:\\x.exe", "", 1, 0, new byte[0]);
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                SubscriptionMatcher.subjectOf(rename));
        assertTrue(SubscriptionMatcher.match(s, rename, "", false).delivered());
        assertFalse(SubscriptionMatcher.match(s, Policies.event(dev.hiveguard.model.Operation.RENAME_KEY,
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Old", "", "RunOnce", "C:\\x.exe", "", 1, 0,
                new byte[0]), "", false).delivered());
        assertTrue(PolicyDescription.describe(s).contains("*VBScript* (details)"), PolicyDescription.describe(s));
        assertTrue(PolicyDescription.describe(s).contains("*\\CurrentVersion\\Run (new name)"), PolicyDescription.describe(s));
    }

    @Test
    void imageOnlyRulesBecomeImageSuffixesAndImageExclusionsStayInUserMode() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"block\">"
                + "<Image condition=\"is\">C:\\Windows\\regedit.exe</Image></RegistryEvent>"
                + "<RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<Image condition=\"end with\">\\reg.exe</Image>"
                + "<Image condition=\"contains\">C:\\Users\\Public\\</Image></RegistryEvent>"
                + "<RegistryEvent onmatch=\"exclude\"><Rule name=\"quiet\" groupRelation=\"and\">"
                + "<Image condition=\"is\">C:\\Windows\\regedit.exe</Image>"
                + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Quiet\\</TargetObject></Rule></RegistryEvent>");
        Subscription s = p.subscription();
        assertTrue(s.prefixes().stream().noneMatch(x -> x.prefix().equals("\\")), PolicyDescription.describe(s));
        List<String> shown = s.patterns().stream()
                .map(x -> (x.include() ? "+" : "-") + x.match() + " " + x.target() + " " + x.prefix()).toList();
        assertEquals(List.of("+EXACT IMAGE C:\\Windows\\regedit.exe", "+SUFFIX IMAGE \\reg.exe",
                "+CONTAINS IMAGE \\Users\\Public\\"), shown);
        assertTrue(PolicyDescription.describe(s).contains("include =C:\\Windows\\regedit.exe (image)"),
                PolicyDescription.describe(s));
        s = s.withVolumes(ImagePaths.SIMULATED_VOLUMES); // as the agent sends it
        String key = "HKLM\\SOFTWARE\\Vendor\\Setting";
        RegistryEvent regedit = Policies.setString(key, "C:\\Windows\\regedit.exe", "x");
        SubscriptionMatcher.Match m = SubscriptionMatcher.match(s, regedit.operation(), regedit.keyPath(),
                regedit.valueName(), "\\Device\\HarddiskVolume3\\Windows\\regedit.exe", 1, false);
        assertTrue(m.delivered() && m.wantsVerdict(), "kernel form of the image, blocked rule waits");
        assertEquals(Action.BLOCK, verify(p, regedit).action());
        RegistryEvent notepad = Policies.setString(key, "C:\\Windows\\notepad.exe", "x");
        assertEquals(Action.ALLOW, verify(p, notepad).action());
        assertFalse(SubscriptionMatcher.match(s, notepad.operation(), notepad.keyPath(), notepad.valueName(),
                KernelImage.of(notepad.image()), 1, false).delivered(), "another image stays in the kernel");
        // The same relative path in another folder no longer crosses: EXACT, not a suffix after the drive.
        assertFalse(SubscriptionMatcher.match(s, notepad.operation(), notepad.keyPath(), notepad.valueName(),
                "\\Device\\HarddiskVolume3\\Users\\x\\Windows\\regedit.exe", 1, false).delivered());
        assertEquals(Action.AUDIT, verify(p, Policies.setString(key, "C:\\Users\\Public\\x.exe", "x")).action());
        // Another volume: the rule does not act, the kernel delivers it anyway (wider, never narrower).
        RegistryEvent other = Policies.setString(key, "D:\\Users\\Public\\x.exe", "x");
        assertEquals(Action.ALLOW, verify(p, other).action());
        assertTrue(SubscriptionMatcher.match(s, other.operation(), other.keyPath(), other.valueName(), other.image(), 1,
                false).delivered());
        // An image the driver could not learn: delivered, and waits as a blocked one would.
        assertTrue(SubscriptionMatcher.match(s, notepad.operation(), notepad.keyPath(), notepad.valueName(), "", 1,
                false).wantsVerdict());
        // The exclusion (Image is ... and a path) is not compiled into the kernel.
        assertTrue(s.prefixes().stream().noneMatch(x -> !x.include() && x.target() == Subscription.Target.IMAGE));
        verify(p, Policies.setString("HKLM\\SOFTWARE\\Quiet\\x", "C:\\Windows\\regedit.exe", "x"));
        verify(p, Policies.setString("HKLM\\SOFTWARE\\Quiet\\x", "C:\\Users\\x\\Windows\\regedit.exe", "x"));
    }

    @Test
    void shippedPoliciesNeverLoseAnEventTheyActOn() throws Exception {
        Random rnd = new Random(SEED + 1);
        for (String name : List.of("protect.xml", "audit-only.xml")) {
            check(PolicyLoader.loadResource(name).document(), rnd, 50_000);
        }
    }

    @Test
    void theRecordedEventsObeyThePropertyToo() throws Exception {
        CompiledPolicy p = PolicyLoader.loadResource("protect.xml");
        for (RegistryEvent e : DatasetEvents.allEvents()) {
            verify(p, e);
        }
    }

    @Test
    void aPolicyThatOnlyAllowsAsksTheKernelForNothing() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"allow\"><Details>x</Details></RegistryEvent>");
        assertEquals(0, p.subscription().opMask());
        assertEquals(List.of(), p.subscription().prefixes());
    }

    @Test
    void pathOnlyExclusionsBecomeKernelExcludesWhenTheDefaultAllows() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\"><TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\</TargetObject>"
                + "</RegistryEvent><RegistryEvent onmatch=\"exclude\"><TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Noisy\\</TargetObject>"
                + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\C</TargetObject></RegistryEvent>");
        List<Subscription.Prefix> ex = p.subscription().prefixes().stream().filter(x -> !x.include()).toList();
        assertEquals(1, ex.size(), "HKLM\\SOFTWARE\\C would also exclude HKCR (SOFTWARE\\Classes) in the kernel: not emitted");
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Noisy\\", ex.get(0).prefix());
    }

    @Test
    void containsAndEndWithBecomeKernelPatternsInsteadOfEverything() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"block\">"
                + "<TargetObject condition=\"contains\">\\CurrentVersion\\Run\\</TargetObject>"
                + "<TargetObject condition=\"end with\">\\Image File Execution Options\\sethc.exe\\Debugger</TargetObject>"
                + "<TargetObject condition=\"contains\">CurrentControlSet\\Services\\WinDefend</TargetObject>"
                + "</RegistryEvent>");
        Subscription s = p.subscription();
        assertTrue(s.prefixes().stream().noneMatch(x -> x.prefix().equals("\\")), PolicyDescription.describe(s));
        List<String> shown = s.patterns().stream().map(x -> x.match() + " " + x.target() + " " + x.prefix()).toList();
        // Sysmon's CurrentControlSet is ControlSetNNN in the kernel: only what follows it is kernel text.
        assertTrue(shown.contains("CONTAINS KEY_PATH \\Services\\WinDefend"), shown.toString());
        assertTrue(shown.contains("CONTAINS FULL_NAME \\Services\\WinDefend"), shown.toString());
        assertTrue(shown.contains("CONTAINS FULL_NAME \\CurrentVersion\\Run\\"), shown.toString());
        assertTrue(shown.contains("SUFFIX FULL_NAME \\Image File Execution Options\\sethc.exe\\Debugger"), shown.toString());
        assertTrue(s.patterns().stream().allMatch(Subscription.Prefix::verdict), "block rules wait");
        assertTrue(PolicyDescription.describe(s).contains("include *\\Image File Execution Options\\sethc.exe\\Debugger (key\\value)"),
                PolicyDescription.describe(s));
    }

    /**
     * An exclusion that tests nothing but EventType (sysmon-modular excludes every CreateKey)
     * removes those classes in the kernel: an EXCLUDE of the key-path root for them.
     */
    @Test
    void eventTypeOnlyExclusionsReachTheKernelForTheirClasses() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\</TargetObject></RegistryEvent>"
                + "<RegistryEvent onmatch=\"exclude\"><EventType condition=\"is\">CreateKey</EventType></RegistryEvent>");
        Subscription s = p.subscription();
        List<String> ex = s.prefixes().stream().filter(x -> !x.include())
                .map(x -> x.match() + " " + x.target() + " " + x.prefix() + " " + x.opMask()).toList();
        assertEquals(List.of("PREFIX KEY_PATH \\ " + Operation.CREATE_KEY.bit()), ex);
        String key = "HKLM\\SOFTWARE\\Vendor\\Setting";
        RegistryEvent create = Policies.keyOp(Operation.CREATE_KEY, key, "C:\\x.exe");
        assertEquals(Action.ALLOW, verify(p, create).action());
        assertFalse(SubscriptionMatcher.match(s, create.operation(), create.keyPath(), "", "", 1, false).delivered());
        RegistryEvent delete = Policies.keyOp(Operation.DELETE_KEY, key, "C:\\x.exe");
        assertEquals(Action.AUDIT, verify(p, delete).action());
        assertEquals(Action.AUDIT, verify(p, Policies.setString(key, "C:\\x.exe", "x")).action());
    }

    @Test
    void patternExclusionsOnlyWhereTheKernelTextImpliesTheRule() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\"><TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\</TargetObject>"
                + "</RegistryEvent><RegistryEvent onmatch=\"exclude\">"
                + "<TargetObject condition=\"end with\">\\Notifications\\Data</TargetObject>"
                + "<TargetObject condition=\"contains\">\\Classes\\</TargetObject>"
                + "<TargetObject condition=\"contains\">\\ControlSet001\\</TargetObject>"
                + "<TargetObject condition=\"end with\">Data</TargetObject>"
                + "</RegistryEvent>");
        List<String> ex = p.subscription().patterns().stream().filter(x -> !x.include())
                .map(x -> x.match() + " " + x.prefix()).distinct().toList();
        // \Classes\ is SOFTWARE\Classes (HKCR) in the kernel; ControlSet001 reads CurrentControlSet;
        // a bare "Data" may end a kernel-only segment: none of them is emitted.
        assertEquals(List.of("SUFFIX \\Notifications\\Data"), ex);
    }

    private static long deliveredCount(CompiledPolicy p, Random rnd) {
        long n = 0;
        for (int i = 0; i < 200; i++) {
            RegistryEvent e = RandomPolicies.event(rnd, i);
            n += SubscriptionMatcher.match(p.subscription(), e, e.image(), false).delivered() ? 1 : 0;
        }
        return n;
    }

    private static int check(PolicyDocument doc, Random rnd, int events) {
        CompiledPolicy p = CompiledPolicy.compile(doc);
        ReferenceInterpreter ref = new ReferenceInterpreter(doc);
        Subscription s = p.subscription();
        assertTrue(s.prefixes().size() <= SubscriptionCompiler.MAX_PREFIXES);
        for (Subscription.Prefix x : s.prefixes()) {
            assertTrue(x.prefix().length() >= 1 && x.prefix().length() <= SubscriptionCompiler.MAX_PREFIX_CHARS);
            assertTrue(x.opMask() != 0, "the driver rejects an empty prefix op mask");
        }
        for (int i = 0; i < events; i++) {
            RegistryEvent e = RandomPolicies.event(rnd, i);
            Decision d = verify(p, e);
            Decision r = ref.decide(e);
            if (!d.equals(r)) {
                fail("compiled and reference disagree on " + e + ": " + d + " vs " + r + "\n" + PolicyDescription.render(doc));
            }
        }
        return events;
    }

    private static Decision verify(CompiledPolicy p, RegistryEvent e) {
        Decision d = p.decide(e);
        SubscriptionMatcher.Match m = SubscriptionMatcher.match(p.subscription(), e, e.image(), false);
        String ctx = e.operation() + " " + e.keyPath() + " [" + e.valueName() + "] -> " + d + "\n"
                + PolicyDescription.render(p.document()) + PolicyDescription.describe(p.subscription());
        if (!m.delivered() && d.action() != Action.ALLOW) {
            fail("kept in the kernel but the policy says " + d.action() + ": " + ctx);
        }
        // The driver sees the image in kernel form, which its volume map turns back into Sysmon's
        // (mapped), or not (a volume mounted after CONFIGURE, a share: unmapped), or it could not
        // learn the image at all: its IMAGE entries must hold for each.
        KernelImage.assertDeliveredInEveryForm(p.subscription(), e, d, ctx);
        if (d.action() == Action.BLOCK) {
            assertTrue(m.wantsVerdict(), () -> "blocked but the caller would not wait: " + ctx);
            PolicyRule rule = p.document().rules().stream().filter(r -> r.include() && r.name().equals(d.ruleName()))
                    .findFirst().orElse(null);
            if (rule != null) {
                PolicySettings s = p.settings();
                int wanted = rule.timeoutMs() != 0 ? rule.timeoutMs() : s.timeoutMs();
                assertTrue(m.timeoutMs() >= wanted, () -> "timeout " + m.timeoutMs() + " < " + wanted + ": " + ctx);
                FailMode fm = rule.failMode() != FailMode.INHERIT ? rule.failMode() : s.failMode();
                if (fm == FailMode.CLOSED) {
                    assertEquals(FailMode.CLOSED, m.failMode(), () -> "fail mode: " + ctx);
                }
            }
        }
        return d;
    }
}
