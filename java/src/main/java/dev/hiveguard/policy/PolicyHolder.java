package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Policy} whose rules can be replaced while decisions run: every call reads one
 * current policy, so a decision never sees half of an old policy and half of a new one,
 * and a swap never waits for, or blocks, a decision in flight.
 */
public final class PolicyHolder implements Policy {

    private final AtomicReference<Policy> current;

    public PolicyHolder(Policy initial) {
        current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    /** The policy decisions use right now. */
    public Policy current() {
        return current.get();
    }

    /** Installs {@code next}; returns the policy it replaced. */
    public Policy swap(Policy next) {
        return current.getAndSet(Objects.requireNonNull(next, "next"));
    }

    @Override
    public Decision decide(RegistryEvent event) {
        return current.get().decide(event);
    }

    @Override
    public Subscription subscription() {
        return current.get().subscription();
    }

    @Override
    public String name() {
        return current.get().name();
    }

    @Override
    public String hash() {
        return current.get().hash();
    }
}
