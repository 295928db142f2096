package dev.hiveguard.policy;

import java.util.Objects;

/**
 * A policy's answer for one event.
 *
 * @param action     what to do
 * @param ruleName   the matching rule's name ({@code name} attribute, or a generated
 *                   one), or null when no rule matched and the default applied
 * @param wouldBlock true when a block rule matched but the policy is in audit-only
 *                   mode, so the action was downgraded to AUDIT
 */
public record Decision(Action action, String ruleName, boolean wouldBlock) {

    public Decision {
        Objects.requireNonNull(action, "action");
    }

    public static Decision of(Action action, String ruleName) {
        return new Decision(action, ruleName, false);
    }

    /** Whether the registry caller is denied. */
    public boolean blocks() {
        return action == Action.BLOCK;
    }
}
