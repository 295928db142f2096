package dev.hiveguard.service;

/** The names Windows knows HiveGuard by (DESIGN.md: driver service, agent service, Event Log source). */
public final class ServiceNames {

    /** The kernel driver's service (hiveguard.sys); HG_DRIVER_SERVICE_W in the wire header. */
    public static final String DRIVER = "HiveGuard";
    /** The agent's service, {@code hiveguard service}. */
    public static final String AGENT = "HiveGuardAgent";
    /** The Event Log source, in the Application log. */
    public static final String EVENT_SOURCE = "HiveGuard";

    private ServiceNames() {
    }
}
