package dev.hiveguard.policy;

/** Public door to the package-private reference interpreter, for the benchmark. */
public final class ReferenceBaseline {

    private ReferenceBaseline() {
    }

    public static Policy of(PolicyDocument doc) {
        return new ReferenceInterpreter(doc);
    }
}
