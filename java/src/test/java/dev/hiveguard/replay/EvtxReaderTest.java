package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The EVTX reader against evtx-dump: every regression .evtx of the Sigma registry rules is
 * decoded and each event's System fields and EventData must equal its .json twin, which
 * evtx-dump made from the same file.
 */
class EvtxReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everySigmaRegressionEvtxDecodesToItsJsonTwin() throws Exception {
        List<Path> files = ReplayTestData.sigmaRegressionEvtx();
        assertEquals(24, files.size(), "regression .evtx files in the Sigma snapshot");
        int events = 0;
        for (Path evtx : files) {
            List<Map<String, String>> decoded = new ArrayList<>();
            List<UnparseableRecord> damage = new ArrayList<>();
            try (InputStream in = Files.newInputStream(evtx)) {
                EvtxReader.decode(evtx.toString(), in, collectDamage(damage),
                        (offset, event) -> decoded.add(flatten(event)));
            }
            assertEquals(List.of(), damage, evtx.toString());
            List<Map<String, String>> expected = new ArrayList<>();
            try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(jsonTwinText(evtx))) {
                while (it.hasNext()) {
                    expected.add(flattenJson(it.next().get("Event")));
                }
            }
            assertFalse(expected.isEmpty(), evtx.toString());
            assertEquals(expected, trailingSpaceStripped(decoded), evtx.getFileName().toString());
            events += decoded.size();
        }
        assertEquals(30, events, "events in the 24 files");
    }

    /**
     * evtx-dump strips trailing white space from text; the record keeps it. One regression
     * event shows it: the SilentCleanup UAC bypass sets windir to "cmd /c start powershell&REM "
     * (the space ends the command before the rest of the path the task appends), and replay
     * must see that real value.
     */
    @Test
    void textKeepsTheRecordedTrailingSpaceThatEvtxDumpStrips() throws Exception {
        Path evtx = ReplayTestData.sigmaRegressionEvtx().stream()
                .filter(p -> p.getFileName().toString().startsWith("724ea201")).findFirst().orElseThrow();
        List<String> details = new ArrayList<>();
        try (InputStream in = Files.newInputStream(evtx)) {
            EvtxReader.decode(evtx.toString(), in, collectDamage(new ArrayList<>()),
                    (offset, event) -> details.add(EvtxReader.eventData(event).get("Details")));
        }
        assertEquals(List.of("cmd /c start powershell&REM "), details);
    }

    private static List<Map<String, String>> trailingSpaceStripped(List<Map<String, String>> events) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> e : events) {
            Map<String, String> m = new java.util.TreeMap<>();
            e.forEach((k, v) -> m.put(k, v.stripTrailing()));
            out.add(m);
        }
        return out;
    }

    private static String jsonTwinText(Path evtx) throws Exception {
        return Files.readString(ReplayTestData.jsonTwin(evtx));
    }

    /** The fields compared: System's scalars and attributes, and every EventData Data by name. */
    private static Map<String, String> flatten(BinaryXml.Element event) {
        Map<String, String> out = new LinkedHashMap<>();
        BinaryXml.Element system = event.child("System");
        for (BinaryXml.Element e : system.children) {
            if (e.children.isEmpty() && e.text.length() > 0) {
                out.put("System." + e.name, e.text.toString());
            }
            e.attributes.forEach((k, v) -> out.put("System." + e.name + "@" + k, v));
        }
        EvtxReader.eventData(event).forEach((k, v) -> out.put("EventData." + k, v));
        return sorted(out);
    }

    private static Map<String, String> flattenJson(JsonNode event) {
        Map<String, String> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> system = event.get("System").fields();
        while (system.hasNext()) {
            Map.Entry<String, JsonNode> e = system.next();
            JsonNode v = e.getValue();
            if (v.isValueNode() && !v.isNull()) {
                out.put("System." + e.getKey(), v.asText());
            } else if (v.isObject()) {
                JsonNode attrs = v.get("#attributes");
                if (attrs != null) {
                    attrs.fields().forEachRemaining(a -> out.put("System." + e.getKey() + "@" + a.getKey(),
                            a.getValue().asText()));
                }
                JsonNode text = v.get("#text");
                if (text != null) {
                    out.put("System." + e.getKey(), text.asText());
                }
            }
        }
        JsonNode data = event.get("EventData");
        if (data != null) {
            data.fields().forEachRemaining(d -> out.put("EventData." + d.getKey(),
                    d.getValue().isNull() ? "" : d.getValue().asText()));
        }
        return sorted(out);
    }

    private static Map<String, String> sorted(Map<String, String> m) {
        return new java.util.TreeMap<>(m);
    }

    static RecordingVisitor collectDamage(List<UnparseableRecord> damage) {
        return new RecordingVisitor() {
            @Override
            public void operation(RecordedOperation op) {
            }

            @Override
            public void unparseable(UnparseableRecord record) {
                damage.add(record);
            }

            @Override
            public void outsideOperationClasses(String source, long line, String toolOperation) {
            }
        };
    }
}
