package dev.hiveguard.policy;

import java.util.List;
import java.util.Objects;

/**
 * A parsed, validated policy file, before compilation.
 *
 * @param name     short name (the file name)
 * @param settings the {@code <HiveGuard>} settings, or defaults
 * @param rules    every rule in document order
 * @param notes    informational notes (ignored Sysmon sections), located
 */
public record PolicyDocument(String name, PolicySettings settings, List<PolicyRule> rules, List<String> notes) {
    public PolicyDocument {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(settings, "settings");
        rules = List.copyOf(rules);
        notes = List.copyOf(notes);
    }
}
