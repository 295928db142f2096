package dev.hiveguard.demo;

/**
 * One process of the demo workload, as the driver would identify it.
 *
 * @param name       short label for the live output
 * @param image      full image path, as the driver reports it
 * @param pid        process id reported in events
 * @param processKey the simulator's stand-in for the EPROCESS pointer; distinct from
 *                   the agent's own so that the driver's self-exclusion does not hide it
 * @param userSid    the token user's SID string
 * @param sessionId  logon session (0 for services)
 */
public record SimulatedProcess(String name, String image, long pid, long processKey, String userSid, int sessionId) {

    /** Keys well away from anything the host uses for real processes. */
    static final long PROCESS_KEY_BASE = 0x5EED_0000_0000L;

    static SimulatedProcess of(String name, String image, long pid, String userSid, int sessionId) {
        return new SimulatedProcess(name, image, pid, PROCESS_KEY_BASE + pid, userSid, sessionId);
    }

    /** A thread id of this process: Windows ids are multiples of 4. */
    long threadId(int index) {
        return pid * 4 + 4L * index + 4;
    }
}
