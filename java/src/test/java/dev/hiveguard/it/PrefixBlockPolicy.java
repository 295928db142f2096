package dev.hiveguard.it;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Test policy: blocks SetValue under one key prefix, allows everything else. Every
 * operation class is delivered, SetValue callers wait for the verdict. Optionally
 * stalls in decide() on a latch, to play an agent that stopped answering.
 */
final class PrefixBlockPolicy implements Policy {

    static final String RULE = "block-prefix";
    /** Longest a stalled decide() waits: far beyond any verdict timeout the tests use. */
    static final long STALL_LIMIT_S = 60;

    private final String prefixUpper;
    private final int timeoutMs;
    private final FailMode failMode;
    private final int maxBacklog;
    private volatile CountDownLatch stall;
    private final CountDownLatch stalledOnce = new CountDownLatch(1);

    PrefixBlockPolicy(String prefix, int timeoutMs, FailMode failMode) {
        this(prefix, timeoutMs, failMode, Subscription.DEFAULT_BACKLOG);
    }

    PrefixBlockPolicy(String prefix, int timeoutMs, FailMode failMode, int maxBacklog) {
        this.prefixUpper = prefix.toUpperCase(Locale.ROOT);
        this.timeoutMs = timeoutMs;
        this.failMode = failMode;
        this.maxBacklog = maxBacklog;
    }

    /** From now on decide() waits until {@link #resume()}. */
    void stall() {
        stall = new CountDownLatch(1);
    }

    void resume() {
        CountDownLatch s = stall;
        stall = null;
        if (s != null) {
            s.countDown();
        }
    }

    /** Waits until some decide() call is stalled. */
    boolean awaitStalled(long timeoutMs) throws InterruptedException {
        return stalledOnce.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public Decision decide(RegistryEvent event) {
        CountDownLatch s = stall;
        if (s != null) {
            stalledOnce.countDown();
            try {
                s.await(STALL_LIMIT_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (event.operation() == Operation.SET_VALUE
                && event.keyPath().toUpperCase(Locale.ROOT).startsWith(prefixUpper)) {
            return Decision.of(Action.BLOCK, RULE);
        }
        return Decision.of(Action.ALLOW, null);
    }

    @Override
    public Subscription subscription() {
        return new Subscription(Operation.maskAll(), Operation.SET_VALUE.bit(), false, timeoutMs, failMode,
                Verdict.ALLOW, maxBacklog, Subscription.DEFAULT_DATA_CAP, List.of(), List.of());
    }

    @Override
    public String name() {
        return "test-prefix-block";
    }

    @Override
    public String hash() {
        return prefixUpper + "/" + timeoutMs + "/" + failMode;
    }
}
