package dev.hiveguard.replay;

/**
 * Receives what a recording reader finds, in file order. Three outcomes, so nothing in the
 * input goes uncounted: an operation to replay, a record that is broken, or a record that is
 * well formed but describes something the registry callback never sees (ProcMon's
 * RegQueryValue, RegEnumKey...).
 */
public interface RecordingVisitor {

    void operation(RecordedOperation op);

    void unparseable(UnparseableRecord record);

    /**
     * @param toolOperation the recording tool's own name for the operation (e.g. RegQueryValue)
     */
    void outsideOperationClasses(String source, long line, String toolOperation);
}
