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
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * The two regression cases whose .evtx holds more events meeting the rule than info.yml's
     * match_count (pinned at these counts in SigmaRegressionTest and SigmaReplayTest): the
     * records as they are in the .evtx, by EventRecordID. SigmaHQ's regression runner
     * (tests/regression_tests_runner.py) counts the checker's matches of the rule per file and
     * takes match_count as a floor: more only prints "consider updating match_count".
     */
    @Test
    void theCasesAboveTheirMatchCountHoldThatManyMatchingRecords() throws Exception {
        assertEquals(List.of(
                "28344631 13 SetValue HKU\\S-1-5-21-3960063115-309473240-3247002503-500\\Software\\Microsoft\\Windows"
                        + "\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\bad-domain.com\\bad-subdomain\\https"
                        + " = DWORD (0x00000002)",
                "28344632 13 SetValue HKU\\S-1-5-21-3960063115-309473240-3247002503-500\\Software\\Microsoft\\Windows"
                        + "\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\bad-domain.com\\bad-subdomain\\http"
                        + " = DWORD (0x00000002)",
                "28344633 13 SetValue HKU\\S-1-5-21-3960063115-309473240-3247002503-500\\Software\\Microsoft\\Windows"
                        + "\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\bad-domain.com\\bad-subdomain\\*"
                        + " = DWORD (0x00000002)"),
                records("45e112d0-7759-4c2a-aa36-9f8fb79d3393"));
        assertEquals(List.of(
                "28656599 13 SetValue HKLM\\System\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\AutoShareServer"
                        + " = DWORD (0x00000000)",
                "28656618 13 SetValue HKLM\\System\\CurrentControlSet\\Services\\LanmanServer\\Parameters\\AutoShareWks"
                        + " = DWORD (0x00000000)"),
                records("c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e"));
    }

    /** "EventRecordID EventID EventType TargetObject = Details" for each record of a case's .evtx. */
    private static List<String> records(String ruleId) throws Exception {
        Path evtx = ReplayTestData.sigmaRegressionEvtx().stream()
                .filter(p -> p.getFileName().toString().equals(ruleId + ".evtx")).findFirst().orElseThrow();
        List<String> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(evtx)) {
            EvtxReader.decode(evtx.toString(), in, collectDamage(new ArrayList<>()), (offset, event) -> {
                Map<String, String> d = EvtxReader.eventData(event);
                BinaryXml.Element system = event.child("System");
                out.add(system.child("EventRecordID").text + " " + system.child("EventID").text + " "
                        + d.get("EventType") + " " + d.get("TargetObject") + " = " + d.get("Details"));
            });
        }
        return out;
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

    /** What replay makes of an operation, everything but where it came from. */
    private static String meaning(RecordedOperation o) {
        return o.recordedTime() + " " + o.operation() + " " + o.keyPath() + " [" + o.valueName() + "] type "
                + o.valueType() + " " + java.util.Arrays.toString(o.data()) + " known " + o.dataKnown() + " new '"
                + o.newName() + "' pid " + o.pid() + " " + o.processGuid() + " " + o.image() + " " + o.user();
    }

    private static LoadedRecordings load(Path file, RecordingFormat format) throws Exception {
        LoadedRecordings r = new LoadedRecordings();
        Recordings.read(file, format, PathTranslator.defaults(), r);
        return r;
    }

    /**
     * The .evtx, its pretty-printed evtx-dump twin, and the same objects one per line all
     * replay as the same operations; the format of each is told from its content.
     */
    @Test
    void evtxAndEvtxDumpJsonReplayTheSameOperations(@TempDir Path tmp) throws Exception {
        int operations = 0;
        for (Path evtx : ReplayTestData.sigmaRegressionEvtx()) {
            Path twin = ReplayTestData.jsonTwin(evtx);
            LoadedRecordings fromEvtx = load(evtx, null);
            LoadedRecordings fromJson = load(twin, null);
            Path lines = tmp.resolve(twin.getFileName() + "l");
            StringBuilder b = new StringBuilder();
            try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(jsonTwinText(evtx))) {
                while (it.hasNext()) {
                    b.append(JSON.writeValueAsString(it.next())).append('\n');
                }
            }
            Files.writeString(lines, b);
            LoadedRecordings fromLines = load(lines, RecordingFormat.SYSMON_JSON);
            for (LoadedRecordings r : List.of(fromEvtx, fromJson, fromLines)) {
                assertEquals(List.of(), r.unparseable(), evtx.toString());
                assertEquals(0, r.outsideClassesTotal(), evtx.toString());
            }
            List<String> expected = fromJson.operations().stream().map(EvtxReaderTest::meaning).toList();
            assertFalse(expected.isEmpty());
            // evtx-dump strips the one trailing space (see textKeepsTheRecordedTrailingSpaceThatEvtxDumpStrips)
            if (!evtx.getFileName().toString().startsWith("724ea201")) {
                assertEquals(expected, fromEvtx.operations().stream().map(EvtxReaderTest::meaning).toList(),
                        evtx.toString());
            }
            assertEquals(expected, fromLines.operations().stream().map(EvtxReaderTest::meaning).toList());
            // file:offset for .evtx, the line an object starts on for JSON
            assertTrue(fromEvtx.operations().get(0).line() >= EvtxReader.FILE_HEADER_BYTES + 512);
            assertEquals(1, fromJson.operations().get(0).line());
            operations += expected.size();
        }
        assertEquals(30, operations);
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
