package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged recordings: every reader must survive any byte soup with at most a one-line file
 * error, and a JSON-lines reader must account for every non-blank line exactly once
 * (operation, unparseable, or outside the operation classes) - nothing silently lost.
 */
class RecordingReadersRobustnessTest {

    /** Fixed seeds: a failure reproduces. */
    private static final long[] SEEDS = {1, 2, 3, 42, 1337, 20261121};
    private static final int MUTATIONS_PER_SEED = 30;
    /** Characters that mean something to one of the formats. */
    private static final String SPECIALS = "\"{}<>\\,\n\r\u0000&;";
    private static final PathTranslator PATHS = new PathTranslator(ReplayTestData.FIXTURE_USER_SID);

    @TempDir
    Path tmp;

    private static String mutate(String text, Random rnd) {
        StringBuilder b = new StringBuilder(text);
        int edits = 1 + rnd.nextInt(8);
        for (int i = 0; i < edits && b.length() > 0; i++) {
            int at = rnd.nextInt(b.length());
            switch (rnd.nextInt(5)) {
                case 0 -> b.deleteCharAt(at);
                case 1 -> b.insert(at, SPECIALS.charAt(rnd.nextInt(SPECIALS.length())));
                case 2 -> b.setCharAt(at, (char) (0x20 + rnd.nextInt(0x60)));
                case 3 -> b.setLength(at);
                default -> b.insert(at, b.substring(at, Math.min(b.length(), at + rnd.nextInt(40))));
            }
        }
        return b.toString();
    }

    private static final class Counting extends ArrayList<Long> implements RecordingVisitor {
        private static final long serialVersionUID = 1L;

        @Override
        public void operation(RecordedOperation op) {
            add(op.line());
        }

        @Override
        public void unparseable(UnparseableRecord record) {
            add(record.line());
        }

        @Override
        public void outsideOperationClasses(String source, long line, String toolOperation) {
            add(line);
        }
    }

    @Test
    void everyNonBlankJsonLineIsAccountedForExactlyOnce() throws Exception {
        String fixture = Files.readString(ReplayTestData.fixture("persistence.jsonl"));
        Path file = tmp.resolve("m.jsonl");
        for (long seed : SEEDS) {
            Random rnd = new Random(seed);
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                String text = mutate(fixture, rnd);
                Files.writeString(file, text);
                Counting seen = new Counting();
                try {
                    Recordings.read(file, RecordingFormat.SYSMON_JSON, PATHS, seen);
                } catch (RecordingException e) {
                    continue; // a whole-file error is a clear error too; only a crash is a failure
                }
                List<Long> expected = new ArrayList<>();
                String[] lines = text.split("\r\n|\r|\n", -1);
                for (int n = 0; n < lines.length; n++) {
                    String l = n == 0 && lines[n].startsWith("\uFEFF") ? lines[n].substring(1) : lines[n];
                    if (!l.isBlank()) {
                        expected.add((long) n + 1);
                    }
                }
                assertEquals(expected, seen, "seed " + seed + " mutation " + i);
            }
        }
    }

    @Test
    void xmlAndCsvReadersNeverCrashOnDamage() throws Exception {
        for (String name : List.of("persistence.xml", "persistence.csv")) {
            String fixture = Files.readString(ReplayTestData.fixture(name), StandardCharsets.UTF_8);
            RecordingFormat format = name.endsWith(".xml") ? RecordingFormat.SYSMON_XML : RecordingFormat.PROCMON_CSV;
            Path file = tmp.resolve("m-" + name);
            for (long seed : SEEDS) {
                Random rnd = new Random(seed);
                for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                    Files.writeString(file, mutate(fixture, rnd));
                    try {
                        Recordings.read(file, format, PATHS, new Counting());
                    } catch (RecordingException e) {
                        assertEquals(-1, e.getMessage().indexOf('\n'), "one-line error: " + e.getMessage());
                    }
                }
            }
        }
    }
}
