package dev.hiveguard.replay;

import dev.hiveguard.device.RegistrySimulator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replay's first pass over its input: the pid each ProcessGuid reveals anywhere in it (a
 * record whose collector dropped ProcessId takes it from a later record too), the operation
 * count for the progress bar, each recording's first time for real-time replay, and what is
 * not an operation (unparseable records, the first {@link ReplayReport#MAX_LISTED} listed;
 * outside-class records by name). Only per-process and per-file facts are kept, never the
 * operations. Reading it also refuses, before anything is raised, a file that is no recording.
 */
public final class RecordingSurvey implements RecordingVisitor {

    final ProcessIdentities identities;
    final Map<String, Instant> firstOfSource = new HashMap<>();
    final List<UnparseableRecord> unparseable = new ArrayList<>();
    final Map<String, Long> outsideClasses = new TreeMap<>();
    long unparseableTotal;
    long operations;

    private RecordingSurvey(ProcessIdentities identities) {
        this.identities = identities;
    }

    /** @throws RecordingException when an input cannot be read at all or is no recording */
    public static RecordingSurvey of(RecordingSource input) throws RecordingException {
        RecordingSurvey survey = new RecordingSurvey(new ProcessIdentities(RegistrySimulator.currentProcessKey()));
        input.read(survey);
        return survey;
    }

    /** Operations the input holds. */
    public long operations() {
        return operations;
    }

    @Override
    public void operation(RecordedOperation op) {
        operations++;
        identities.learnPid(op);
        if (op.timestamp() != null) {
            firstOfSource.merge(op.source(), op.timestamp(), (a, b) -> a.isBefore(b) ? a : b);
        }
    }

    @Override
    public void unparseable(UnparseableRecord record) {
        unparseableTotal++;
        if (unparseable.size() < ReplayReport.MAX_LISTED) {
            unparseable.add(record);
        }
    }

    @Override
    public void outsideOperationClasses(String source, long line, String toolOperation) {
        outsideClasses.merge(toolOperation, 1L, Long::sum);
    }
}
