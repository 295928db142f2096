package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Field;
import dev.hiveguard.policy.PolicyDescription;
import dev.hiveguard.policy.RuleExpression;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The subscription property for Sigma rules: with every rule of the snapshot set to block,
 * no event the policy acts on is kept in the kernel, and every event it blocks waits for a
 * verdict. Checked on the recorded datasets, the regression events, and seeded synthetic
 * events assembled from the rules' own literals (prefixes, fragments, suffixes, Details and
 * Image values), so that many of them fire - the prefixes and the SUFFIX / CONTAINS patterns
 * derived from expressions are what is under test. The synthetic paths go through every
 * rendering the kernel text differs in (HKLM, HKU, HKU\SID_Classes, HKCR, CurrentControlSet,
 * the unnamed value Sysmon writes as (Default)), and fragments are also glued inside a key name.
 */
class SigmaSubscriptionPropertyTest {

    private static final long SEED = 0x5161_2026L;
    private static final int SYNTHETIC_EVENTS = 60_000;
    private static final String[] ROOTS = {"HKLM\\SOFTWARE", "HKLM\\SYSTEM\\CurrentControlSet\\Services",
        "HKU\\S-1-5-21-1-2-3-1001\\Software", "HKU\\S-1-5-21-1-2-3-1001_Classes", "HKCR", "HKLM\\SOFTWARE\\Classes",
        "HKLM\\System\\CurrentControlSet", "HKLM\\SYSTEM\\ControlSet002\\Control", "HKU\\.DEFAULT\\Software"};
    private static final String[] EVENT_TYPES = {"CreateKey", "DeleteKey", "SetValue", "DeleteValue", "RenameKey"};

    static CompiledPolicy everythingBlocks() throws Exception {
        Map<String, Action> levels = new LinkedHashMap<>();
        SigmaSettings.LEVELS.forEach(l -> levels.put(l, Action.BLOCK));
        SigmaSettings d = SigmaSettings.defaults();
        SigmaSettings s = new SigmaSettings(d.policy(), levels, Map.of(), Map.of(), List.of());
        return CompiledPolicy.compile(SigmaPolicyLoader.load("sigma-block", s, SigmaTestData.ruleTrees()).document());
    }

    @Test
    void theSigmaSetNeverLosesAnEventItActsOn() throws Exception {
        CompiledPolicy p = everythingBlocks();
        System.out.println("Sigma set (all blocking), driver subscription:");
        System.out.print(PolicyDescription.describe(p.subscription()));
        long acted = 0;
        for (RegistryEvent e : DatasetEvents.allEvents()) {
            acted += verify(p, e) ? 1 : 0;
        }
        for (SigmaTestData.RegressionCase c : SigmaTestData.regressionCases()) {
            int n = 0;
            for (JsonNode ev : SigmaTestData.events(c.json())) {
                acted += verify(p, DatasetEvents.toEvent(SigmaTestData.flat(ev), ++n)) ? 1 : 0;
            }
        }
        Literals lit = new Literals();
        for (var r : p.document().rules()) {
            lit.collect(r.expression());
        }
        Random rnd = new Random(SEED);
        long synthetic = 0;
        for (int i = 0; i < SYNTHETIC_EVENTS; i++) {
            synthetic += verify(p, lit.event(rnd, i)) ? 1 : 0;
        }
        System.out.printf("acted on: %d recorded/regression events, %d of %d synthetic%n", acted, synthetic,
                SYNTHETIC_EVENTS);
        assertTrue(acted >= 24, "every regression case acts");
        assertTrue(synthetic > 500, "the synthetic events must reach the rules to test anything: " + synthetic);
    }

    /**
     * Each rule alone (blocking), where the subscription is as narrow as the rule's expression
     * allows: seeded events built mostly from that rule's own literals.
     */
    @Test
    void eachSigmaRuleAloneNeverLosesAnEventItActsOn() throws Exception {
        Map<String, Action> levels = new LinkedHashMap<>();
        SigmaSettings.LEVELS.forEach(l -> levels.put(l, Action.BLOCK));
        SigmaSettings s = new SigmaSettings(SigmaSettings.defaults().policy(), levels, Map.of(), Map.of(), List.of());
        Random rnd = new Random(SEED + 1);
        int narrowed = 0;
        int rulesActing = 0;
        int narrowedActing = 0;
        long acted = 0;
        for (java.nio.file.Path f : SigmaTestData.ruleFiles()) {
            CompiledPolicy p = CompiledPolicy.compile(SigmaPolicyLoader.load(f.getFileName().toString(), s, List.of(f))
                    .document());
            boolean everything = p.subscription().prefixes().stream().anyMatch(x -> x.include() && x.prefix().equals("\\"));
            narrowed += everything ? 0 : 1;
            Literals lit = new Literals();
            lit.collect(p.document().rules().get(0).expression());
            long before = acted;
            for (int i = 0; i < PER_RULE_EVENTS; i++) {
                acted += verify(p, lit.event(rnd, i)) ? 1 : 0;
            }
            rulesActing += acted > before ? 1 : 0;
            narrowedActing += !everything && acted > before ? 1 : 0;
        }
        System.out.printf("%d rules alone: %d with a subscription narrower than everything (%d of them acted on); "
                + "synthetic events acted on for %d rules, %d in all%n", SigmaTestData.ruleFiles().size(), narrowed,
                narrowedActing, rulesActing, acted);
        assertTrue(narrowed > 0);
        assertTrue(narrowedActing * 2 >= narrowed, "the narrowed rules must be reached to test their prefixes");
        assertTrue(rulesActing > SigmaTestData.ruleFiles().size() / 2, "too few rules reached: " + rulesActing);
    }

    private static final int PER_RULE_EVENTS = 1000;

    /** True when the policy acts on the event; fails when the subscription would hide it. */
    private static boolean verify(CompiledPolicy p, RegistryEvent e) {
        Decision d = p.decide(e);
        if (d.action() == Action.ALLOW) {
            return false;
        }
        SubscriptionMatcher.Match m = SubscriptionMatcher.match(p.subscription(), e, e.image(), false);
        if (!m.delivered()) {
            fail("kept in the kernel but " + d + ": " + e.operation() + " " + e.keyPath() + " [" + e.valueName() + "]");
        }
        if (d.action() == Action.BLOCK && !m.wantsVerdict()) {
            fail("blocked but the caller would not wait: " + e.operation() + " " + e.keyPath());
        }
        // The driver sees the image in kernel form, mapped by the agent's volume map or not, or not at all.
        dev.hiveguard.policy.KernelImage.assertDeliveredInEveryForm(p.subscription(), e, d,
                e.operation() + " " + e.keyPath());
        return true;
    }

    /** The literal text the rules test, by field and position. */
    private static final class Literals {
        final List<String> prefixes = new ArrayList<>();
        final List<String> fragments = new ArrayList<>();
        final List<String> suffixes = new ArrayList<>();
        final List<String> details = new ArrayList<>();
        final List<String> images = new ArrayList<>();
        private final Set<String> seen = new LinkedHashSet<>();
        private final ObjectMapper json = new ObjectMapper();

        void collect(RuleExpression e) {
            if (e instanceof RuleExpression.AllOf a) {
                a.parts().forEach(this::collect);
            } else if (e instanceof RuleExpression.AnyOf a) {
                a.parts().forEach(this::collect);
            } else if (e instanceof RuleExpression.Not n) {
                collect(n.part());
            } else if (e instanceof RuleExpression.FieldTest t && t.match() != RuleExpression.Match.REGEX) {
                for (String raw : t.values()) {
                    String v = raw.replace("\\*", "\u0001").replace("*", "x").replace("?", "y").replace("\u0001", "*");
                    if (!seen.add(t.field() + "|" + t.match() + "|" + v)) {
                        continue;
                    }
                    if (t.field() == Field.TARGET_OBJECT) {
                        switch (t.match()) {
                            case EQUALS, STARTS_WITH, WILDCARD -> prefixes.add(v);
                            case ENDS_WITH -> suffixes.add(v);
                            default -> fragments.add(v);
                        }
                    } else if (t.field() == Field.DETAILS) {
                        details.add(v);
                    } else if (t.field() == Field.IMAGE) {
                        images.add(v);
                    }
                }
            }
        }

        private static String pick(Random rnd, List<String> l, String fallback) {
            return l.isEmpty() ? fallback : l.get(rnd.nextInt(l.size()));
        }

        RegistryEvent event(Random rnd, int i) {
            StringBuilder t = new StringBuilder();
            String prefix = pick(rnd, prefixes, ROOTS[0]);
            boolean rooted = prefix.regionMatches(true, 0, "HK", 0, 2);
            if (rooted && rnd.nextInt(4) == 0) {
                return build(rnd, i, prefix); // the whole path: what an exact-path rule needs
            }
            t.append(rooted && rnd.nextBoolean() ? prefix : ROOTS[rnd.nextInt(ROOTS.length)]);
            for (int k = rnd.nextInt(3); k > 0; k--) {
                String f = pick(rnd, fragments, "\\X");
                // mostly as key names of their own, sometimes glued to the end of the previous one
                t.append(f.startsWith("\\") || rnd.nextInt(4) == 0 ? "" : "\\").append(f);
            }
            if (rnd.nextBoolean()) {
                String s = pick(rnd, suffixes, "\\V");
                t.append(s.startsWith("\\") ? "" : "\\").append(s);
            } else if (rnd.nextInt(4) == 0) {
                t.append("\\(Default)"); // the unnamed value: nothing after the key's '\' in the kernel
            } else {
                t.append("\\Value").append(i % 7);
            }
            return build(rnd, i, t.toString());
        }

        private RegistryEvent build(Random rnd, int i, String path) {
            String target = path.replaceAll("\\\\+$", "");
            if (target.indexOf('\\') < 0) {
                target = ROOTS[0] + "\\" + target;
            }
            String image = pick(rnd, images, "C:\\Windows\\x.exe");
            if (!image.regionMatches(true, 0, "C:", 0, 2)) {
                // where the literal sits: under a system folder, another volume's, a share's
                String dir = new String[] {"C:\\Windows\\System32", "D:\\Tools", "\\\\server\\share"}[rnd.nextInt(3)];
                image = dir + (image.startsWith("\\") ? "" : "\\") + image;
            }
            if (rnd.nextInt(20) == 0) {
                image = ""; // the recording did not say: the driver delivers it
            }
            ObjectNode o = json.createObjectNode();
            String type = EVENT_TYPES[rnd.nextInt(EVENT_TYPES.length)];
            o.put("EventID", type.equals("SetValue") ? 13 : type.equals("RenameKey") ? 14 : 12).put("EventType", type)
                    .put("TargetObject", target).put("Image", image).put("ProcessId", 1000 + i % 50)
                    .put("User", "DESKTOP\\alice");
            if (type.equals("SetValue")) {
                o.put("Details", pick(rnd, details, "DWORD (0x00000001)"));
            }
            if (type.equals("RenameKey")) {
                o.put("NewName", target + "_renamed");
            }
            return DatasetEvents.toEvent(o, i);
        }
    }
}
