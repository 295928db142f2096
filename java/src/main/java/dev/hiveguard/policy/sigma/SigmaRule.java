package dev.hiveguard.policy.sigma;

import dev.hiveguard.policy.RuleExpression;
import java.util.List;
import java.util.Objects;

/**
 * One Sigma registry rule HiveGuard can enforce.
 *
 * @param id          the rule's UUID ("" when it has none: then no override can name it)
 * @param title       its title
 * @param level       informational, low, medium, high or critical ("" when missing)
 * @param tags        e.g. attack.persistence, attack.t1547.001
 * @param author      as credited in the rule (DRL 1.1 asks that it stays attached)
 * @param file        where it was read, as given
 * @param line        line of its first key
 * @param eventTypes  the Sysmon EventTypes its logsource category covers
 * @param expression  its detection and condition
 */
public record SigmaRule(String id, String title, String level, List<String> tags, String author, String file, int line,
                        List<String> eventTypes, RuleExpression expression) {
    public SigmaRule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(level, "level");
        tags = List.copyOf(tags);
        Objects.requireNonNull(author, "author");
        eventTypes = List.copyOf(eventTypes);
        Objects.requireNonNull(expression, "expression");
    }
}
