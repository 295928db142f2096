package dev.hiveguard.replay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gives each recorded process the identity a registry callback would see: a process key of
 * its own (the driver tells processes apart by process object, never by pid, and excludes the
 * agent's own process by that key) and its pid.
 *
 * <p>A process is its Sysmon ProcessGuid when the recording has one (pids are reused, GUIDs
 * are not); otherwise its pid within one recording file; otherwise its image within the file.
 * Records whose collector dropped ProcessId get the pid other records of the same ProcessGuid
 * carry.
 */
final class ProcessIdentities {

    /**
     * First simulated process key. The host keys the agent's own process by its Linux pid
     * (at most 2^22), so keys from 2^40 upwards can never be the agent's, and replayed
     * operations are never mistaken for the agent's own and self-excluded.
     */
    static final long PROCESS_KEY_BASE = 1L << 40;

    /** Pid reported for a process whose pid no record reveals (the System Idle pseudo-process id). */
    static final long PID_NONE = 0;

    private final long agentProcessKey;
    private final Map<String, Long> keys = new HashMap<>();
    private final Map<String, Long> guidPids = new HashMap<>();
    private long nextKey = PROCESS_KEY_BASE;

    ProcessIdentities(long agentProcessKey) {
        this.agentProcessKey = agentProcessKey;
    }

    /** The operations with every resolvable pid filled in, in the same order. */
    List<RecordedOperation> resolvePids(List<RecordedOperation> ops) {
        ops.forEach(this::learnPid);
        List<RecordedOperation> out = new ArrayList<>(ops.size());
        for (RecordedOperation op : ops) {
            out.add(resolvePid(op));
        }
        return out;
    }

    /**
     * First pass: remembers the pid an operation reveals for its ProcessGuid. One entry per
     * process, not per operation.
     */
    void learnPid(RecordedOperation op) {
        if (!op.processGuid().isEmpty() && op.pid() != RecordedOperation.PID_UNKNOWN) {
            guidPids.putIfAbsent(guidKey(op.processGuid()), op.pid());
        }
    }

    /** Second pass: the operation with its pid filled in from any record of its process. */
    RecordedOperation resolvePid(RecordedOperation op) {
        if (op.pid() != RecordedOperation.PID_UNKNOWN) {
            return op;
        }
        Long pid = op.processGuid().isEmpty() ? null : guidPids.get(guidKey(op.processGuid()));
        return op.withPid(pid == null ? PID_NONE : pid);
    }

    /** The stable process key of the operation's process. */
    long keyFor(RecordedOperation op) {
        String identity;
        if (!op.processGuid().isEmpty()) {
            identity = guidKey(op.processGuid());
        } else if (op.pid() != RecordedOperation.PID_UNKNOWN && op.pid() != PID_NONE) {
            identity = "pid|" + op.source() + "|" + op.pid();
        } else {
            identity = "image|" + op.source() + "|" + op.image().toLowerCase(Locale.ROOT);
        }
        Long key = keys.get(identity);
        if (key == null) {
            if (nextKey == agentProcessKey) {
                nextKey++;
            }
            key = nextKey++;
            keys.put(identity, key);
        }
        return key;
    }

    int processCount() {
        return keys.size();
    }

    private static String guidKey(String guid) {
        return "guid|" + guid.toLowerCase(Locale.ROOT);
    }
}
