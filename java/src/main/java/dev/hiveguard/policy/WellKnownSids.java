package dev.hiveguard.policy;

import java.util.Map;

/**
 * The service accounts Sysmon's User field shows by name. Other SIDs stay SIDs: turning
 * them into names needs LSA, and the decision path must not call out.
 */
final class WellKnownSids {

    private static final Map<String, String> NAMES = Map.of(
            "S-1-5-18", "NT AUTHORITY\\SYSTEM",
            "S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE",
            "S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE");

    private WellKnownSids() {
    }

    static String displayName(String sidOrName) {
        String s = sidOrName == null ? "" : sidOrName;
        return NAMES.getOrDefault(s.toUpperCase(java.util.Locale.ROOT), s);
    }
}
