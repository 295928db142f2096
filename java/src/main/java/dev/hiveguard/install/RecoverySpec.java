package dev.hiveguard.install;

import java.util.List;

/**
 * The agent service's ChangeServiceConfig2W settings: what the SCM does when the
 * agent fails and how long it may take to stop at shutdown.
 *
 * @param restartDelaysMillis     one SC_ACTION_RESTART per entry, in order (1st, 2nd, 3rd failure)
 * @param resetPeriodSeconds      failure count resets after this long without a failure
 * @param actionsOnNonCrashFailures also apply the actions when the service stops with a non-zero exit code
 * @param delayedAutoStart        start after the other automatic services (boot is not slowed by the JVM)
 * @param unrestrictedServiceSid  SERVICE_SID_TYPE_UNRESTRICTED: NT SERVICE\HiveGuardAgent is in the token
 * @param preshutdownTimeoutMillis how long the SCM waits for the PRESHUTDOWN stop
 */
public record RecoverySpec(String description, List<Integer> restartDelaysMillis, int resetPeriodSeconds,
                           boolean actionsOnNonCrashFailures, boolean delayedAutoStart,
                           boolean unrestrictedServiceSid, int preshutdownTimeoutMillis) {

    public RecoverySpec {
        restartDelaysMillis = List.copyOf(restartDelaysMillis);
    }
}
