package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
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
        for (int p = 0; p < POLICIES; p++) {
            PolicyDocument doc = RandomPolicies.policy(rnd, 1 + rnd.nextInt(40), true);
            checked += check(doc, rnd, EVENTS_PER_POLICY);
            CompiledPolicy compiled = CompiledPolicy.compile(doc);
            delivered += deliveredCount(compiled, rnd);
            for (Subscription.Prefix x : compiled.subscription().patterns()) {
                includePatterns += x.include() ? 1 : 0;
                excludePatterns += x.include() ? 0 : 1;
            }
        }
        assertEquals((long) POLICIES * EVENTS_PER_POLICY, checked);
        assertTrue(delivered > 0);
        // The property covers the kernel's pattern entries, not only its prefixes.
        assertTrue(includePatterns > 50, "include patterns: " + includePatterns);
        assertTrue(excludePatterns > 0, "exclude patterns: " + excludePatterns);
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
            n += SubscriptionMatcher.match(p.subscription(), e.operation(), e.keyPath(), e.valueName(), e.image(), e.pid(), false).delivered() ? 1 : 0;
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
        SubscriptionMatcher.Match m = SubscriptionMatcher.match(p.subscription(), e.operation(), e.keyPath(), e.valueName(), e.image(), e.pid(), false);
        String ctx = e.operation() + " " + e.keyPath() + " [" + e.valueName() + "] -> " + d + "\n"
                + PolicyDescription.render(p.document()) + PolicyDescription.describe(p.subscription());
        if (!m.delivered() && d.action() != Action.ALLOW) {
            fail("kept in the kernel but the policy says " + d.action() + ": " + ctx);
        }
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
