package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import java.util.Objects;

/**
 * A policy that decides exactly as another one but asks the driver for a different
 * subscription - the same rules with, say, another verdict timeout. Decisions and the
 * hash are the delegate's: the hash names the rules in force, and they have not changed.
 */
public final class ResubscribedPolicy implements Policy {

    private final Policy delegate;
    private final Subscription subscription;
    private final String name;

    public ResubscribedPolicy(Policy delegate, Subscription subscription, String name) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.subscription = Objects.requireNonNull(subscription, "subscription");
        this.name = Objects.requireNonNull(name, "name");
    }

    @Override
    public Decision decide(RegistryEvent event) {
        return delegate.decide(event);
    }

    @Override
    public Subscription subscription() {
        return subscription;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String hash() {
        return delegate.hash();
    }
}
