package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Subscription;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The effective policy as canonical text - settings, then every rule with its resolved
 * action, timeout, fail mode and conditions - and its SHA-256. Comments, whitespace, grouping
 * syntax and the file's name do not change the hashed text, so the hash changes exactly when
 * decisions (or the rule names the audit trail shows) can.
 */
public final class PolicyDescription {

    private PolicyDescription() {
    }

    public static String render(PolicyDocument doc) {
        return render(doc, false);
    }

    /**
     * @param forHash rules without a name of their own are rendered without the name they
     *                were given from their location ({@code file:line}): the hash must not
     *                change with the file's name or with a comment that moves lines
     */
    private static String render(PolicyDocument doc, boolean forHash) {
        PolicySettings s = doc.settings();
        StringBuilder b = new StringBuilder();
        b.append("mode=").append(s.mode().xmlName()).append(" default=").append(lower(s.defaultAction()))
                .append(" timeout=").append(s.timeoutMs()).append("ms failmode=").append(lower(s.failMode()))
                .append(" kernelCallers=").append(s.includeKernelCallers() ? "include" : "exclude").append('\n');
        for (PolicyRule r : doc.rules()) {
            b.append('#').append(r.index()).append(' ');
            if (r.include()) {
                b.append("include ").append(lower(r.action()));
                if (r.timeoutMs() != 0) {
                    b.append(" timeout=").append(r.timeoutMs()).append("ms");
                }
                if (r.failMode() != FailMode.INHERIT) {
                    b.append(" failmode=").append(lower(r.failMode()));
                }
            } else {
                b.append("exclude");
            }
            boolean locationName = forHash && r.name().equals(doc.name() + ":" + r.line());
            b.append(locationName ? " (unnamed)\n" : " \"" + r.name() + "\"\n");
            if (r.conditions().isEmpty()) {
                b.append("    (every event)\n");
            }
            for (RuleCondition c : r.conditions()) {
                b.append("    ").append(c.field().xmlName()).append(' ').append(c.condition().xmlName()).append(' ');
                for (int i = 0; i < c.values().size(); i++) {
                    b.append(i == 0 ? "" : " | ").append('"').append(c.values().get(i)).append('"');
                }
                b.append('\n');
            }
            if (r.expression() != null) {
                b.append("    where ").append(render(r.expression())).append('\n');
            }
        }
        return b.toString();
    }

    /** An expression on one line: and/or/not with parentheses where a part has several. */
    public static String render(RuleExpression e) {
        StringBuilder b = new StringBuilder();
        render(e, b);
        return b.toString();
    }

    private static void render(RuleExpression e, StringBuilder b) {
        if (e instanceof RuleExpression.AllOf a) {
            join(a.parts(), " and ", "(always)", b);
        } else if (e instanceof RuleExpression.AnyOf a) {
            join(a.parts(), " or ", "(never)", b);
        } else if (e instanceof RuleExpression.Not n) {
            b.append("not ");
            renderPart(n.part(), b);
        } else {
            RuleExpression.FieldTest t = (RuleExpression.FieldTest) e;
            b.append(t.field().xmlName()).append(' ').append(t.match().name().toLowerCase(java.util.Locale.ROOT));
            if (t.caseSensitive()) {
                b.append(" cased");
            }
            for (int i = 0; i < t.values().size(); i++) {
                b.append(i == 0 ? " " : t.allValues() ? " & " : " | ").append('"').append(t.values().get(i)).append('"');
            }
        }
    }

    private static void join(java.util.List<RuleExpression> parts, String op, String empty, StringBuilder b) {
        if (parts.isEmpty()) {
            b.append(empty);
        }
        for (int i = 0; i < parts.size(); i++) {
            b.append(i == 0 ? "" : op);
            renderPart(parts.get(i), b);
        }
    }

    private static void renderPart(RuleExpression e, StringBuilder b) {
        boolean group = (e instanceof RuleExpression.AllOf a && a.parts().size() > 1)
                || (e instanceof RuleExpression.AnyOf o && o.parts().size() > 1);
        b.append(group ? "(" : "");
        render(e, b);
        b.append(group ? ")" : "");
    }

    /** The driver subscription in words: what crosses to user mode, what waits, with which budget. */
    public static String describe(Subscription sub) {
        StringBuilder b = new StringBuilder();
        b.append("  operations ").append(SubscriptionCompiler.ops(sub.opMask())).append("; waiting for a verdict: ")
                .append(SubscriptionCompiler.ops(sub.verdictOpMask())).append('\n');
        b.append("  timeout ").append(sub.timeoutMs()).append(" ms, on timeout ").append(lower(sub.failMode()))
                .append(", while no agent answers ").append(lower(sub.defaultVerdict())).append(", kernel-mode callers ")
                .append(sub.includeKernelCallers() ? "included" : "excluded").append('\n');
        for (Subscription.Prefix p : sub.prefixes()) {
            b.append("  ").append(p.include() ? "include " : "exclude ").append(p.describe()).append("  [")
                    .append(SubscriptionCompiler.ops(p.opMask())).append(']');
            appendVerdict(b, p.verdict(), p.timeoutMs(), p.failMode());
            b.append('\n');
        }
        // Wire minor 3: one line per AND group, its clauses joined by AND, a clause's members by |.
        for (Subscription.Group g : sub.groups()) {
            b.append("  ").append(g.include() ? "include group " : "exclude group ").append(g.describe()).append("  [")
                    .append(SubscriptionCompiler.ops(g.opMask())).append(']');
            appendVerdict(b, g.verdict(), g.timeoutMs(), g.failMode());
            b.append('\n');
        }
        return b.toString();
    }

    /** An INCLUDE entry's or group's verdict demands, as {@code policy show} prints them. */
    private static void appendVerdict(StringBuilder b, boolean verdict, int timeoutMs, FailMode failMode) {
        if (!verdict) {
            return;
        }
        b.append(" verdict");
        if (timeoutMs != 0) {
            b.append(" timeout=").append(timeoutMs).append("ms");
        }
        if (failMode != FailMode.INHERIT) {
            b.append(" failmode=").append(lower(failMode));
        }
    }

    /**
     * SHA-256 of {@link #render} with location-derived rule names left out, lower-case hex:
     * the same rules give the same hash whatever the file is called and however it is
     * commented or laid out.
     */
    public static String hash(PolicyDocument doc) {
        return sha256(render(doc, true).getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }
}
