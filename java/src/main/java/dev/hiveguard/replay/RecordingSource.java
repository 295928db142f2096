package dev.hiveguard.replay;

/**
 * Recorded operations a replay reads, possibly more than once and always in the same order:
 * the files themselves ({@link RecordingFiles}, streamed, for any size) or what was already
 * read into memory ({@link LoadedRecordings}, for tests and small inputs).
 */
public interface RecordingSource {

    /**
     * Feeds every record to {@code visitor}, in order.
     *
     * @throws RecordingException for an input that cannot be read at all
     */
    void read(RecordingVisitor visitor) throws RecordingException;
}
