package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;

/**
 * Decides what happens to a registry operation. Implementations must be
 * thread-safe, must not block, and must never touch the registry: they run on the
 * decision path while a registry caller waits inside the kernel.
 */
public interface Policy {

    /** Decide one event. Never null, never throws for any event. */
    Decision decide(RegistryEvent event);

    /**
     * The smallest driver subscription that still delivers every operation this
     * policy could act on (block, audit or allow differently from the default).
     */
    Subscription subscription();

    /** A short human name (file name, or "default"). */
    String name();

    /** Content hash of the effective policy, logged on load and reload. */
    String hash();
}
