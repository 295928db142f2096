package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.KernelImage;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The SigmaHQ snapshot's registry rules as one policy (default mapping: critical blocks, every
 * other level audits) against the recorded telemetry, measured as RealConfigSubscriptionTest
 * measures the Sysmon configurations: {@code needed} = events the policy acts on (audit or
 * block), {@code delivered} = events the compiled subscription lets cross into user mode.
 * Every needed event must be delivered (and a blocked one wait for its verdict); the counts
 * are pinned so that a change in the compiler or the rule snapshot shows. Prints the row the
 * README's "What a real rule set sends to user mode" table quotes.
 */
class SigmaSetSubscriptionTest {

    /**
     * Measured with this compiler on ../shared/datasets (14,378 events) and ../shared/sigma.
     * Before Sigma expressions fed SUFFIX/CONTAINS patterns and were folded per class, the whole
     * set delivered all 14,378 (270 of its rules needed everything); with path and image
     * entries only (wire minor 1) 5,633, one rule needing every SetValue and four every
     * RenameKey. With DATA / NEW_NAME entries (minor 2) no rule needs a class whole; 836 of the
     * 1,086 come from one rule whose every conjunct alone is wide
     * (registry_set_disable_autologger_sessions: Autologger path AND DWORD 0 data - closing it
     * needs an AND of entries across targets). With AND groups (minor 3) 147; with text data up to
     * HG_DATA_MATCH_MAX_BYTES rendered (it was 256 bytes: 23 SetValues of longer text were "unknown"
     * and every DATA-only branch, as HybridConnectionManager's, included them) 124. What is left
     * comes from negations a group cannot carry (persistence_ie's "not \ZoneMap", the autologger
     * rule's "not wevtutil.exe") and ANDs left without a group by the clause bound.
     */
    private static final long NEEDED = 66;
    private static final long DELIVERED = 124;
    /** The same without the rules that need every SetValue (or more): what patterns achieve. */
    private static final long NARROWABLE_NEEDED = 66;
    private static final long NARROWABLE_DELIVERED = 124;

    private static final String HEADER = "%n%-34s %8s %8s %9s %7s %5s %9s %9s %7s %8s%n";
    private static final String ROW = "%-34s %8d %8d %9d %7.2f %5s %9d %9d %7d %8d%n";

    /** One measured rule set. */
    private record Row(String name, long events, long needed, long delivered, long prefixes, long patterns,
                       long groups, long clauses) {
        void print() {
            double ratio = needed == 0 ? Double.NaN : (double) delivered / needed;
            System.out.printf(Locale.ROOT, ROW, name, events, needed, delivered, ratio, ratio <= 2.0 ? "yes" : "no",
                    prefixes, patterns, groups, clauses);
        }
    }

    @Test
    void theSigmaSetDeliversWhatItActsOnAndLittleMore() throws Exception {
        Map<Path, String> wholeClasses = rulesNeedingEverything();
        List<Path> all = SigmaTestData.ruleTrees();
        List<Path> narrowable = new ArrayList<>();
        for (Path f : SigmaTestData.ruleFiles()) {
            String classes = wholeClasses.get(f);
            if (classes == null || classes.equals("RenameKey")) {
                narrowable.add(f);
            }
        }
        Row whole = measure("all", all);
        Row narrow = measure("narrowable", narrowable);
        System.out.printf(Locale.ROOT, HEADER, "rule set", "events", "needed", "delivered", "ratio", "<=2x",
                "prefixes", "patterns", "groups", "clauses");
        whole.print();
        narrow.print();
        System.out.println("rules with a class no kernel path filter can narrow (that class delivered whole):");
        wholeClasses.forEach((f, c) -> System.out.println("  " + f.getFileName() + ": " + c));
        assertTrue(whole.needed > 0, "the Sigma set acts on some recorded events");
        assertEquals(NEEDED, whole.needed, "events the Sigma set acts on");
        assertEquals(DELIVERED, whole.delivered, "events the Sigma set's subscription delivers");
        assertEquals(NARROWABLE_NEEDED, narrow.needed, "events the narrowable rules act on");
        assertEquals(NARROWABLE_DELIVERED, narrow.delivered, "events the narrowable rules' subscription delivers");
    }

    /**
     * The same set and recordings through the real driver core (host library, live pump, audit
     * writer): every decision equals the policy's own (DirectEvaluation), so the C automaton kept
     * nothing the policy acts on, and the driver's delivered counter is pinned. It counts fewer
     * than the Java twin above: the System process's operations (pid 4) are kernel-mode callers,
     * which the default settings leave out whatever the rules say.
     */
    @Test
    void theSigmaSetThroughTheRealCoreDecidesAsThePolicyDoes(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(),
                SigmaTestData.ruleTrees()).document());
        List<Path> files = DatasetEvents.files();
        dev.hiveguard.replay.LoadedRecordings input = dev.hiveguard.replay.LoadedRecordings.load(files, null,
                dev.hiveguard.replay.PathTranslator.defaults());
        dev.hiveguard.replay.ReplayReport r;
        try (dev.hiveguard.audit.JsonAuditWriter audit = new dev.hiveguard.audit.JsonAuditWriter(
                dev.hiveguard.audit.AuditOptions.in(tmp))) {
            r = new dev.hiveguard.replay.ReplayEngine(p, audit, dev.hiveguard.replay.ReplayOptions.defaults()).replay(
                    input, files.stream().map(Path::toString).toList(),
                    dev.hiveguard.replay.PathTranslator.UNKNOWN_USER_SID);
        }
        assertTrue(r.consistency().sound(), r.consistency().toString());
        dev.hiveguard.replay.DirectEvaluation.Result direct = new dev.hiveguard.replay.DirectEvaluation(p, input)
                .evaluate();
        assertEquals(direct.verdicts(), r.verdicts());
        System.out.println("Sigma set through the real core: " + r.verdicts() + " " + r.driver());
        assertEquals(CORE_DELIVERED, r.driver().delivered(), "events the driver core delivered");
    }

    /** The driver core's delivered counter for the Sigma set over the datasets (kernel-mode callers left out). */
    private static final long CORE_DELIVERED = 124;

    /** needed / delivered for the rules of {@code sources}, asserting that nothing needed is kept in the kernel. */
    private static Row measure(String name, List<Path> sources) throws Exception {
        SigmaPolicyLoader.Loaded loaded = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), sources);
        CompiledPolicy p = CompiledPolicy.compile(loaded.document());
        // As the agent sends it and the driver sees it: the volume map, the image in kernel form.
        Subscription s = p.subscription().withVolumes(ImagePaths.SIMULATED_VOLUMES);
        List<RegistryEvent> events = DatasetEvents.allEvents();
        long needed = 0;
        long delivered = 0;
        for (RegistryEvent e : events) {
            Decision d = p.decide(e);
            SubscriptionMatcher.Match m = SubscriptionMatcher.match(s, e, KernelImage.of(e.image()), false);
            if (d.action() != Action.ALLOW) {
                needed++;
                KernelImage.assertDeliveredInEveryForm(s, e, d, name + ": " + e);
                if (!m.delivered()) {
                    fail(name + ": keeps in the kernel an event it " + d.action() + "s: " + e);
                }
                if (d.action() == Action.BLOCK && !m.wantsVerdict()) {
                    fail(name + ": blocks an event whose caller would not wait: " + e);
                }
            }
            delivered += m.delivered() ? 1 : 0;
        }
        long patterns = s.patterns().stream().filter(Subscription.Prefix::include).count();
        long prefixes = s.prefixes().stream().filter(Subscription.Prefix::include).count() - patterns;
        return new Row(loaded.rules().size() + " Sigma rules (" + name + ")", events.size(), needed, delivered,
                prefixes, patterns, s.groups().size(), s.clauseCount());
    }

    /** Each rule file alone: those whose subscription includes everything ({@code \}), with the classes it does for. */
    private static Map<Path, String> rulesNeedingEverything() throws Exception {
        Map<Path, String> out = new LinkedHashMap<>();
        for (Path f : SigmaTestData.ruleFiles()) {
            SigmaPolicyLoader.Loaded one = SigmaPolicyLoader.load(f.getFileName().toString(), SigmaSettings.defaults(),
                    List.of(f));
            if (one.rules().isEmpty()) {
                continue; // unsupported: listed with its reason by the loader, not part of the set
            }
            int ops = 0;
            for (Subscription.Prefix x : CompiledPolicy.compile(one.document()).subscription().prefixes()) {
                if (x.include() && x.prefix().equals("\\")) {
                    ops |= x.opMask();
                }
            }
            if (ops != 0) {
                StringBuilder b = new StringBuilder();
                for (Operation op : Operation.values()) {
                    if ((ops & op.bit()) != 0) {
                        b.append(b.length() == 0 ? "" : ",").append(op.eventType());
                    }
                }
                out.put(f, b.toString());
            }
        }
        return out;
    }
}
