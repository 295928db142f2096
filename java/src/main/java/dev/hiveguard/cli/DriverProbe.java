package dev.hiveguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.Platform;
import dev.hiveguard.device.DeviceException;
import dev.hiveguard.device.HiveGuardDevice;

/**
 * Reads the driver's STATS directly, for {@code status} when no agent publishes them.
 * The driver admits one client, so this succeeds only while no agent is connected;
 * then the counters show what happens without an agent (defaults applied, no_client).
 */
final class DriverProbe {

    /** Either the counters or why they could not be read. */
    record Result(JsonNode stats, String whyUnavailable) {
    }

    private DriverProbe() {
    }

    static Result read() {
        if (!Platform.isWindows()) {
            // The Linux host library is the driver's stand-in inside the agent's own
            // process: a separate status process would only see a fresh, empty one.
            return new Result(null, "on Linux the driver core runs inside the agent process (user-mode host); "
                    + "its counters are in the agent's status");
        }
        try (HiveGuardDevice device = HiveGuardDevice.open()) {
            return new Result(AgentStatusFile.toTree(device.stats()), "");
        } catch (DeviceException e) {
            return new Result(null, e.getMessage());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Result(null, "cannot load kernel32 through JNA: " + e.getMessage());
        }
    }
}
