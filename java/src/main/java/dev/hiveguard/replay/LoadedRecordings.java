package dev.hiveguard.replay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the readers found in a set of recordings, in input order, held in memory: the
 * operations to replay, the broken records, and the count of well-formed records outside the
 * operation classes (per tool operation name). For tests and small inputs; the command line
 * streams the files ({@link RecordingFiles}) so memory stays bounded.
 */
public final class LoadedRecordings implements RecordingVisitor, RecordingSource {

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

    /**
     * Operations in order, then the broken records, then the outside-class records by name
     * (their own place is not kept): what a replay counts is the same as from the files.
     */
    @Override
    public void read(RecordingVisitor visitor) {
        operations.forEach(visitor::operation);
        unparseable.forEach(visitor::unparseable);
        outsideClasses.forEach((name, n) -> {
            for (long i = 0; i < n; i++) {
                visitor.outsideOperationClasses("", 0, name);
            }
        });
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
