package dev.hiveguard.policy.sigma;

import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.PolicySettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a Sigma rule set does when it matches, chosen by the user: Sigma rules detect, they
 * do not say whether to block. A rule's action is its override by id if there is one, else
 * the most severe action any of its tags maps to, else its level's action. {@link #OFF}
 * (null) means the rule is not loaded, listed as disabled.
 *
 * @param policy    mode, default action, timeout, fail mode, kernel callers (as in a Sysmon policy)
 * @param levels    Sigma level (informational, low, medium, high, critical) to action
 * @param tags      tag (lower case, e.g. attack.t1547.001) to action
 * @param overrides rule id to action
 * @param sources   rule files and directories (a settings file's {@code rules:}, resolved)
 */
public record SigmaSettings(PolicySettings policy, Map<String, Action> levels, Map<String, Action> tags,
                            Map<String, Action> overrides, List<java.nio.file.Path> sources) {

    /** The action meaning "do not load this rule". */
    public static final Action OFF = null;

    /** Levels Sigma defines, least to most severe. */
    public static final List<String> LEVELS = List.of("informational", "low", "medium", "high", "critical");

    public SigmaSettings {
        Objects.requireNonNull(policy, "policy");
        levels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(levels));
        tags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        overrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
        sources = List.copyOf(sources);
    }

    /**
     * Without a settings file: critical rules block, every other level audits; enforce mode,
     * default allow, the wire's timeout and fail-open.
     */
    public static SigmaSettings defaults() {
        Map<String, Action> levels = new LinkedHashMap<>();
        for (String l : LEVELS) {
            levels.put(l, l.equals("critical") ? Action.BLOCK : Action.AUDIT);
        }
        return new SigmaSettings(PolicySettings.defaults(), levels, Map.of(), Map.of(), List.of());
    }

    /** Whether the rule is loaded at all. */
    public boolean enabled(SigmaRule r) {
        return action(r) != OFF;
    }

    /** The rule's action, or {@link #OFF}. A level the map does not name audits. */
    public Action action(SigmaRule r) {
        if (!r.id().isEmpty() && overrides.containsKey(r.id().toLowerCase(Locale.ROOT))) {
            return overrides.get(r.id().toLowerCase(Locale.ROOT));
        }
        Action best = null;
        boolean tagged = false;
        for (String t : r.tags()) {
            if (tags.containsKey(t)) {
                tagged = true;
                Action a = tags.get(t);
                if (a != null && (best == null || severity(a) > severity(best))) {
                    best = a;
                }
            }
        }
        if (tagged) {
            return best;
        }
        return levels.getOrDefault(r.level(), Action.AUDIT);
    }

    /** Why {@link #action} returned OFF, for the listing. */
    String offReason(SigmaRule r) {
        if (!r.id().isEmpty() && overrides.containsKey(r.id().toLowerCase(Locale.ROOT))) {
            return "turned off by the settings' override for its id";
        }
        for (String t : r.tags()) {
            if (tags.containsKey(t)) {
                return "turned off by the settings for its tags";
            }
        }
        return "turned off by the settings for level '" + r.level() + "'";
    }

    private static int severity(Action a) {
        return a == Action.BLOCK ? 3 : a == Action.AUDIT ? 2 : 1;
    }
}
