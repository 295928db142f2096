package dev.hiveguard.wire;

/**
 * Whether the driver that answered HELLO actually guards the registry, from its
 * capabilities. A Windows driver that could not register its RegistryCallback serves its
 * device but never sees a registry operation (the release image refuses to load then; a
 * test image may not): an agent "serving" it would protect nothing, so the pump refuses to
 * start. The Linux user-mode host reports {@link Wire#CAP_SIMULATOR} instead: the stand-in
 * for the callback that the demo and the tests drive, accepted, and said so in the log and
 * in {@code hiveguard status}.
 */
public enum RegistryGuard {
    /** HG_CAP_REGISTRY_CALLBACK: the RegistryCallback is registered. */
    CALLBACK_REGISTERED("registered"),
    /** HG_CAP_SIMULATOR without a callback: the Linux host's simulator stands in for it. */
    SIMULATOR("simulator (Linux stand-in: no Windows registry callback, operations come from the host's simulator)"),
    /** Neither: nothing reaches the driver, nothing is guarded. */
    ABSENT("NOT registered: the driver sees no registry operation and guards nothing");

    private final String description;

    RegistryGuard(String description) {
        this.description = description;
    }

    public static RegistryGuard of(HelloReply hello) {
        if (hello.has(Wire.CAP_REGISTRY_CALLBACK)) {
            return CALLBACK_REGISTERED;
        }
        return hello.has(Wire.CAP_SIMULATOR) ? SIMULATOR : ABSENT;
    }

    /** An agent may report "serving" only where operations can reach it. */
    public boolean canServe() {
        return this != ABSENT;
    }

    /** What {@code hiveguard status} prints after "registry callback: ". */
    public String description() {
        return description;
    }
}
