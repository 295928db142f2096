package dev.hiveguard.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * What the demo's callers got, in constant memory for the noise: counts for every
 * operation, the tampering outcomes in full (they are checked one by one against the
 * audit trail), and the first mismatches with the policy in full, the rest counted.
 * A one-hour {@code --duration} run raises millions of operations; keeping each one
 * would cost gigabytes for nothing the summary prints. Thread-safe.
 */
public final class OutcomeTally {

    /** Mismatching outcomes kept in full; further ones are only counted. */
    public static final int MAX_KEPT_MISMATCHES = 50;

    private long raised;
    private long allowed;
    private long blocked;
    private long mismatches;
    private final List<OperationOutcome> tampering = new ArrayList<>();
    private final List<OperationOutcome> keptMismatches = new ArrayList<>();

    /** A tally of the given outcomes, as if each had been added. */
    public static OutcomeTally of(List<OperationOutcome> outcomes) {
        OutcomeTally t = new OutcomeTally();
        outcomes.forEach(t::add);
        return t;
    }

    public synchronized void add(OperationOutcome o) {
        raised++;
        if (o.ntStatus() == OperationOutcome.STATUS_SUCCESS) {
            allowed++;
        } else if (o.blocked()) {
            blocked++;
        }
        if (o.operation().tampering()) {
            tampering.add(o);
        }
        if (!o.matchesPolicy()) {
            mismatches++;
            if (keptMismatches.size() < MAX_KEPT_MISMATCHES) {
                keptMismatches.add(o);
            }
        }
    }

    public synchronized long raised() {
        return raised;
    }

    public synchronized long allowed() {
        return allowed;
    }

    public synchronized long blocked() {
        return blocked;
    }

    /** Every outcome whose status disagreed with the policy, kept or not. */
    public synchronized long mismatches() {
        return mismatches;
    }

    public synchronized List<OperationOutcome> tampering() {
        return List.copyOf(tampering);
    }

    public synchronized List<OperationOutcome> keptMismatches() {
        return List.copyOf(keptMismatches);
    }
}
