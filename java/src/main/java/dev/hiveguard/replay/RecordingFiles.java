package dev.hiveguard.replay;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Recording files read straight from disk on every pass: nothing is kept between passes, so a
 * replay's memory does not grow with the size of its input.
 */
public final class RecordingFiles implements RecordingSource {

    private final List<Path> files;
    private final RecordingFormat format;
    private final PathTranslator paths;

    /** @param format null to detect each file's format from its content */
    public RecordingFiles(List<Path> files, RecordingFormat format, PathTranslator paths) {
        this.files = List.copyOf(files);
        this.format = format;
        this.paths = Objects.requireNonNull(paths, "paths");
    }

    @Override
    public void read(RecordingVisitor visitor) throws RecordingException {
        for (Path file : files) {
            Recordings.read(file, format, paths, visitor);
        }
    }
}
