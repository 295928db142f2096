package dev.hiveguard.replay;

import java.io.IOException;
import java.io.InputStream;

/** One recording format. Implementations keep no state between calls. */
interface RecordingReader {

    /**
     * Reads every record of {@code in} (already decompressed) in order. Broken records go to
     * {@link RecordingVisitor#unparseable}; only a failing stream throws.
     */
    void read(String source, InputStream in, RecordingVisitor visitor) throws IOException;
}
