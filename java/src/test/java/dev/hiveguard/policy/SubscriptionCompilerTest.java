package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.wire.ConfigMessage;
import dev.hiveguard.wire.Wire;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The subscription compiler at scale and against the driver's limits: it reproduces the
 * previous (quadratic) compiler entry for entry wherever the precise table fits, and a policy
 * of 20,000 rules or one whose table cannot fit still compiles to a subscription the driver
 * accepts that never keeps in the kernel an event the policy acts on. These are tests of
 * correctness; compile time and heap are measured by {@code PolicyCompileBench}.
 */
class SubscriptionCompilerTest {

    @Test
    void reproducesThePreviousCompilerOnRandomPolicies() throws Exception {
        Random rnd = new Random(0xC0DE_2026L);
        for (int p = 0; p < 300; p++) {
            PolicyDocument doc = RandomPolicies.policy(rnd, 1 + rnd.nextInt(80), true);
            assertEquals(QuadraticSubscriptionCompiler.compile(doc), CompiledPolicy.compile(doc).subscription(),
                    () -> PolicyDescription.render(doc));
        }
    }

    @Test
    void reproducesThePreviousCompilerOnShippedAndLargerPolicies() throws Exception {
        for (String name : List.of("protect.xml", "audit-only.xml")) {
            PolicyDocument doc = PolicyLoader.loadResource(name).document();
            assertEquals(QuadraticSubscriptionCompiler.compile(doc), CompiledPolicy.compile(doc).subscription(), name);
        }
        PolicyDocument many = ManyPathPolicies.policy(7, 600);
        assertEquals(QuadraticSubscriptionCompiler.compile(many), CompiledPolicy.compile(many).subscription());
        PolicyDocument random = RandomPolicies.policy(new Random(11), 1500, true);
        assertEquals(QuadraticSubscriptionCompiler.compile(random), CompiledPolicy.compile(random).subscription());
    }

    @Test
    void twentyThousandRulesCompileToASoundSubscriptionTheDriverAccepts() throws Exception {
        PolicyDocument doc = ManyPathPolicies.policy(20_000, 20_000);
        CompiledPolicy p = CompiledPolicy.compile(doc);
        assertFitsTheDriver(p.subscription());
        assertSound(p, ManyPathPolicies.events(1, 20_000, 10_000));
        assertTrue(!p.subscriptionNotes().isEmpty(), "20,000 distinct paths cannot fit 4096 entries unwidened");
    }

    @Test
    void twentyThousandRandomRulesToo() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(RandomPolicies.policy(new Random(20_000), 20_000, true));
        assertFitsTheDriver(p.subscription());
        assertSound(p, RandomPolicies.events(5, 2_000)); // 20,000 mostly unindexed rules: decisions are slow
    }

    @Test
    void manyCurrentControlSetRulesFitByCoveringControlSetsWhole() throws Exception {
        // Each CurrentControlSet path becomes 10 precise kernel prefixes per class group (the link
        // and ControlSet001..009), 20 for a rule on keys and values: 160 rules of realistic
        // service-parameter paths fit the prefix count but not the 1 MiB CONFIGURE message.
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 160; i++) {
            b.append("<RegistryEvent onmatch=\"include\" action=\"block\"><TargetObject condition=\"begin with\">")
                    .append("HKLM\\System\\CurrentControlSet\\Services\\Contoso Endpoint Telemetry Collector ").append(i)
                    .append("\\Parameters\\Diagnostics\\Collection Profiles\\Default Profile\\Event Forwarding\\Channel Settings")
                    .append("</TargetObject></RegistryEvent>");
        }
        PolicyDocument doc = Policies.parse("", b.toString());
        CompiledPolicy p = CompiledPolicy.compile(doc);
        // The precise table (what the previous compiler sent, and run refused with exit 2) does not fit.
        assertTrue(p.subscriptionNotes().get(0).contains(" include prefixes do not fit"), p.subscriptionNotes().get(0));
        assertFitsTheDriver(p.subscription());
        assertEquals(1, p.subscriptionNotes().size(), p.subscriptionNotes().toString());
        assertTrue(p.subscriptionNotes().get(0).contains("ControlSet0NN whole"), p.subscriptionNotes().get(0));
        for (int i = 0; i < 160; i += 7) {
            for (String set : List.of("CurrentControlSet", "ControlSet001", "ControlSet002", "ControlSet123")) {
                RegistryEvent e = Policies.setValue("HKLM\\SYSTEM\\" + set + "\\Services\\Contoso Endpoint Telemetry Collector "
                        + i + "\\Parameters\\Diagnostics\\Collection Profiles\\Default Profile\\Event Forwarding"
                        + "\\Channel Settings\\v", "C:\\x.exe", 4, new byte[] {1, 0, 0, 0});
                assertSound(p, List.of(e));
                assertEquals(Action.BLOCK, p.decide(e).action(), e.keyPath());
            }
        }
    }

    @Test
    void longPrefixesThatOverflowTheMessageAreCollapsedUnderACommonAncestor() throws Exception {
        // 3,000 rules of ~500-character paths: ~3 MB of prefix text against a 1 MiB message.
        StringBuilder b = new StringBuilder();
        String deep = "Level\\".repeat(80);
        for (int i = 0; i < 3000; i++) {
            b.append("<RegistryEvent onmatch=\"include\" action=\"").append(i % 2 == 0 ? "block" : "audit")
                    .append("\"><TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Vendor").append(i % 40).append('\\')
                    .append(deep).append("Item").append(i).append("</TargetObject></RegistryEvent>");
        }
        CompiledPolicy p = Policies.of(b.toString());
        assertFitsTheDriver(p.subscription());
        assertTrue(p.subscriptionNotes().stream().anyMatch(n -> n.contains("cut to its first")), p.subscriptionNotes().toString());
        for (int i = 0; i < 3000; i += 13) {
            RegistryEvent e = Policies.setValue("HKLM\\SOFTWARE\\Vendor" + (i % 40) + "\\" + deep + "Item" + i + "\\v",
                    "C:\\x.exe", 4, new byte[] {1, 0, 0, 0});
            assertEquals(i % 2 == 0 ? Action.BLOCK : Action.AUDIT, p.decide(e).action());
            assertSound(p, List.of(e));
        }
    }

    @Test
    void aSixThousandCharacterTargetObjectCompilesAndStillBlocks() throws Exception {
        String path = "HKLM\\SOFTWARE\\" + "A".repeat(5_990) + "\\Run";
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"block\" failmode=\"closed\">"
                + "<TargetObject condition=\"begin with\">" + path + "</TargetObject></RegistryEvent>");
        assertFitsTheDriver(p.subscription());
        RegistryEvent hit = Policies.setValue(path + "\\Updater", "C:\\x.exe", 4, new byte[] {1, 0, 0, 0});
        RegistryEvent miss = Policies.setValue(path.substring(0, 3000) + "B\\Updater", "C:\\x.exe", 4, new byte[] {1, 0, 0, 0});
        assertEquals(Action.BLOCK, p.decide(hit).action());
        assertEquals(Action.ALLOW, p.decide(miss).action());
        assertSound(p, List.of(hit, miss));
        for (Subscription.Prefix x : p.subscription().prefixes()) {
            assertTrue(x.prefix().length() <= SubscriptionCompiler.MAX_PREFIX_CHARS, "clipped to the driver's limit");
        }
    }

    @Test
    void cutKeepsWholeKeyNamesAndNeverLengthens() {
        String k = "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor\\Prod";
        assertEquals("\\", SubscriptionCompiler.cut(k, 0));
        assertEquals("\\REGISTRY\\", SubscriptionCompiler.cut(k, 1));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\", SubscriptionCompiler.cut(k, 3));
        assertEquals(k, SubscriptionCompiler.cut(k, 5));
        assertEquals(k, SubscriptionCompiler.cut(k, 50));
    }

    static void assertFitsTheDriver(Subscription s) {
        byte[] encoded = ConfigMessage.encode(s); // throws with the field named if the driver would refuse it
        assertTrue(encoded.length <= Wire.CONFIG_MAX_BYTES);
        assertTrue(s.prefixes().size() <= Wire.PREFIX_MAX_COUNT);
        assertEquals(s, ConfigMessage.decode(java.nio.ByteBuffer.wrap(encoded)));
    }

    /** Delivered whenever the policy acts; blocked events wait with the rule's budget. */
    static void assertSound(CompiledPolicy p, List<RegistryEvent> events) {
        for (RegistryEvent e : events) {
            Decision d = p.decide(e);
            SubscriptionMatcher.Match m = SubscriptionMatcher.match(p.subscription(), e, e.image(), false);
            if (d.action() != Action.ALLOW && !m.delivered()) {
                fail("kept in the kernel but the policy says " + d + ": " + e.operation() + " " + e.keyPath());
            }
            if (d.action() == Action.BLOCK) {
                assertTrue(m.wantsVerdict(), () -> "blocked but not waiting: " + e.keyPath());
                PolicyRule rule = p.document().rules().stream().filter(r -> r.include() && r.name().equals(d.ruleName()))
                        .findFirst().orElseThrow();
                int wanted = rule.timeoutMs() != 0 ? rule.timeoutMs() : p.settings().timeoutMs();
                assertTrue(m.timeoutMs() >= wanted, () -> "timeout " + m.timeoutMs() + " < " + wanted + ": " + e.keyPath());
                FailMode fm = rule.failMode() != FailMode.INHERIT ? rule.failMode() : p.settings().failMode();
                if (fm == FailMode.CLOSED) {
                    assertEquals(FailMode.CLOSED, m.failMode(), e.keyPath());
                }
            }
        }
    }
}
