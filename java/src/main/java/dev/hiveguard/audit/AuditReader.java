package dev.hiveguard.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads an audit trail back: line by line, streaming, so a rolled file of any size
 * costs one line of memory.
 *
 * <p>The last line of the active file may be partial when the agent died mid-write
 * (the writer only ever appends whole lines, so nothing else can be): a trailing
 * segment without its newline is skipped and reported, not parsed. A line that is
 * complete but not a JSON object - the partial line of an earlier crash, which the
 * writer closes with a newline when it reopens the file - is counted as malformed and
 * skipped, so one bad line never hides the rest of the trail.
 */
public final class AuditReader {

    /** Trailing tokens fail the line: two half-lines glued together must not pass as one record. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private AuditReader() {
    }

    /**
     * What a read found besides the records themselves.
     *
     * @param records             lines parsed into JSON objects
     * @param malformedLines      complete lines that were not JSON objects
     * @param partialTrailingLine the input ended in a line without its newline
     * @param files               files read, oldest first
     */
    public record Summary(long records, long malformedLines, boolean partialTrailingLine, List<Path> files) {
    }

    /** Every record of one file, in order. */
    public static List<JsonNode> readAll(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        read(file, out::add);
        return out;
    }

    /** Every record of the whole trail (rolled files oldest first, then the active one). */
    public static List<JsonNode> readAll(AuditOptions trail) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        readTrail(trail, out::add);
        return out;
    }

    /** Streams one file's records to {@code sink}. */
    public static Summary read(Path file, Consumer<JsonNode> sink) throws IOException {
        Counts counts = new Counts();
        readInto(file, sink, counts);
        return new Summary(counts.records, counts.malformed, counts.partial, List.of(file));
    }

    /**
     * Streams the whole trail. A partial line can only be the active file's last one;
     * {@link Summary#partialTrailingLine()} reports it.
     */
    public static Summary readTrail(AuditOptions trail, Consumer<JsonNode> sink) throws IOException {
        List<Path> files = trailFiles(trail);
        Counts counts = new Counts();
        for (Path f : files) {
            counts.partial = false;
            readInto(f, sink, counts);
        }
        return new Summary(counts.records, counts.malformed, counts.partial, files);
    }

    /** The trail's existing files, oldest first. */
    public static List<Path> trailFiles(AuditOptions trail) {
        List<Path> files = new ArrayList<>();
        for (int n = AuditOptions.MAX_RETAINED_FILES; n >= 1; n--) {
            Path rolled = trail.rolledFile(n);
            if (Files.isRegularFile(rolled)) {
                files.add(rolled);
            }
        }
        if (Files.isRegularFile(trail.activeFile())) {
            files.add(trail.activeFile());
        }
        return files;
    }

    private static final class Counts {
        long records;
        long malformed;
        boolean partial;
    }

    private static void readInto(Path file, Consumer<JsonNode> sink, Counts counts) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), READ_BUFFER_BYTES)) {
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    parseLine(line, sink, counts);
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }
        counts.partial = line.size() > 0;
    }

    private static void parseLine(ByteArrayOutputStream line, Consumer<JsonNode> sink, Counts counts) {
        if (line.size() == 0) {
            return;
        }
        try {
            JsonNode node = MAPPER.readTree(line.toString(StandardCharsets.UTF_8));
            if (node != null && node.isObject()) {
                counts.records++;
                sink.accept(node);
                return;
            }
        } catch (JsonProcessingException e) {
            // counted below
        }
        counts.malformed++;
    }
}
