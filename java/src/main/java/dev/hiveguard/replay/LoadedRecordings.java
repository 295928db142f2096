package dev.hiveguard.replay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the readers found in a set of recordings, in input order: the operations to
 * replay, the broken records, and the count of well-formed records outside the operation
 * classes (per tool operation name).
 */
public final class LoadedRecordings implements RecordingVisitor {

    private final List<RecordedOperation> operations = new ArrayList<>();
    private final List<UnparseableRecord> unparseable = new ArrayList<>();
    private final Map<String, Long> outsideClasses = new TreeMap<>();
    private long outsideTotal;

    /**
     * Reads every file in order.
     *
     * @throws RecordingException for the first file that cannot be read at all
     */
    public static LoadedRecordings load(List<Path> files, RecordingFormat format, PathTranslator paths)
            throws RecordingException {
        LoadedRecordings loaded = new LoadedRecordings();
        for (Path file : files) {
            Recordings.read(file, format, paths, loaded);
        }
        return loaded;
    }

    @Override
    public void operation(RecordedOperation op) {
        operations.add(op);
    }

    @Override
    public void unparseable(UnparseableRecord record) {
        unparseable.add(record);
    }

    @Override
    public void outsideOperationClasses(String source, long line, String toolOperation) {
        outsideClasses.merge(toolOperation, 1L, Long::sum);
        outsideTotal++;
    }

    public List<RecordedOperation> operations() {
        return Collections.unmodifiableList(operations);
    }

    public List<UnparseableRecord> unparseable() {
        return Collections.unmodifiableList(unparseable);
    }

    /** Tool operation name to count, sorted by name. */
    public Map<String, Long> outsideClasses() {
        return Collections.unmodifiableMap(outsideClasses);
    }

    public long outsideClassesTotal() {
        return outsideTotal;
    }
}
