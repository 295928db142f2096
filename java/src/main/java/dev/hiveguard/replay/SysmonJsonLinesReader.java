package dev.hiveguard.replay;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingJsonFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Sysmon events as JSON, in the shapes collectors and converters write:
 * <ul>
 * <li>NXLog and the OTRF datasets: one object per line, Sysmon's EventData fields at the top
 * level next to the collector's metadata;</li>
 * <li>Winlogbeat: one object per line, the fields under {@code winlog} (see {@link #winlogbeat});</li>
 * <li>evtx-dump (and other EVTX-to-JSON converters): {@code {"Event": {"System": {...},
 * "EventData": {...}}}}, one per line or pretty-printed over many lines, objects back to back.</li>
 * </ul>
 * A file whose first record line is a lone {@code {} is read as a stream of multi-line objects,
 * each reported at the line it starts on; otherwise every non-blank line is one record, so a
 * damaged line costs that line only. Either way no line or object may exceed
 * {@link #MAX_RECORD_CHARS}: memory stays bounded whatever the input.
 */
final class SysmonJsonLinesReader implements RecordingReader {

    /** A Sysmon event with its rendered Message is a few KiB; anything this long is not one. */
    static final int MAX_RECORD_CHARS = 1 << 20;

    private static final MappingJsonFactory JSON = new MappingJsonFactory();
    private static final String WINLOGBEAT_OBJECT = "winlog";
    private static final String WINLOGBEAT_EVENT_DATA = "event_data";
    private static final String WINLOGBEAT_EVENT_ID = "event_id";
    private static final String EVTX_EVENT_OBJECT = "Event";
    private static final String SYSMON_PROVIDER = "Microsoft-Windows-Sysmon";
    /** Set by {@link #evtxShape} when the event's provider is not Sysmon. */
    private static final String PROVIDER_FIELD = "\u0000provider";

    private final PathTranslator paths;

    SysmonJsonLinesReader(PathTranslator paths) {
        this.paths = paths;
    }

    @Override
    public void read(String source, InputStream in, RecordingVisitor visitor) throws IOException {
        byte[] head = peek(in);
        BoundedLineReader lines = new BoundedLineReader(
                new InputStreamReader(in, TextDecoding.sniff(head, head.length)), MAX_RECORD_CHARS);
        ObjectStream objects = null;
        String line;
        while ((line = lines.readLine()) != null) {
            long lineNumber = lines.lineNumber();
            if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                line = line.substring(1);
            }
            if (lines.truncated()) {
                visitor.unparseable(new UnparseableRecord(source, lineNumber,
                        "line longer than " + MAX_RECORD_CHARS + " characters; skipped"));
                if (objects != null) {
                    objects.reset();
                }
                continue;
            }
            if (objects == null && line.isBlank()) {
                continue; // not a record: a trailing newline or a separator some shippers add
            }
            if (objects == null && line.strip().equals("{")) {
                objects = new ObjectStream(source, visitor);
            }
            if (objects != null) {
                objects.feed(line, lineNumber);
            } else {
                record(source, lineNumber, line, visitor);
            }
        }
        if (objects != null) {
            objects.finish();
        }
    }

    /** One record's text: parse it and hand it on. */
    private void record(String source, long lineNumber, String text, RecordingVisitor visitor) {
        Map<String, String> fields;
        try {
            fields = topLevelScalars(text);
        } catch (JsonProcessingException e) {
            visitor.unparseable(new UnparseableRecord(source, lineNumber,
                    "not a JSON object: " + e.getOriginalMessage()));
            return;
        } catch (IOException e) {
            visitor.unparseable(new UnparseableRecord(source, lineNumber, "not a JSON object: " + e.getMessage()));
            return;
        }
        if (fields == null) {
            visitor.unparseable(new UnparseableRecord(source, lineNumber, "not a JSON object"));
            return;
        }
        String idText = fields.get("EventID");
        if (idText == null) {
            visitor.unparseable(new UnparseableRecord(source, lineNumber, "missing EventID"));
            return;
        }
        int eventId;
        try {
            eventId = Integer.parseInt(idText.strip());
        } catch (NumberFormatException e) {
            visitor.unparseable(new UnparseableRecord(source, lineNumber, "EventID '" + idText + "' is not a number"));
            return;
        }
        String provider = fields.get(PROVIDER_FIELD);
        if (provider != null && !provider.equals(SYSMON_PROVIDER)) {
            visitor.outsideOperationClasses(source, lineNumber, provider + " event " + eventId);
            return;
        }
        SysmonEventFields.interpret(source, lineNumber, eventId, fields, paths, visitor);
    }

    /**
     * Pretty-printed objects back to back: characters are gathered from the line an object
     * opens on until its braces balance (strings and escapes respected), then the object is
     * one record. Between objects only white space and array punctuation ({@code [ , ]}, for
     * a JSON array of events) may appear; anything else is reported with its line and skipped.
     */
    private final class ObjectStream {
        private final String source;
        private final RecordingVisitor visitor;
        private final StringBuilder text = new StringBuilder();
        private int depth;
        private boolean inString;
        private boolean escaped;
        private long startLine;

        ObjectStream(String source, RecordingVisitor visitor) {
            this.source = source;
            this.visitor = visitor;
        }

        void feed(String line, long lineNumber) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (depth == 0) {
                    if (Character.isWhitespace(c) || c == ',' || c == '[' || c == ']') {
                        continue;
                    }
                    if (c != '{') {
                        visitor.unparseable(new UnparseableRecord(source, lineNumber,
                                "text between JSON objects: '" + abbreviate(line.substring(i)) + "'"));
                        return;
                    }
                    startLine = lineNumber;
                }
                if (text.length() >= MAX_RECORD_CHARS) {
                    visitor.unparseable(new UnparseableRecord(source, startLine,
                            "JSON object longer than " + MAX_RECORD_CHARS + " characters; skipped"));
                    reset();
                    return;
                }
                text.append(c);
                if (inString) {
                    if (escaped) {
                        escaped = false;
                    } else if (c == '\\') {
                        escaped = true;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                } else if (c == '{') {
                    depth++;
                } else if (c == '}') {
                    depth--;
                    if (depth == 0) {
                        record(source, startLine, text.toString(), visitor);
                        text.setLength(0);
                    }
                }
            }
            if (depth > 0) {
                text.append('\n');
            }
        }

        void reset() {
            text.setLength(0);
            depth = 0;
            inString = false;
            escaped = false;
        }

        void finish() {
            if (depth > 0) {
                visitor.unparseable(new UnparseableRecord(source, startLine, "JSON object is not closed (truncated?)"));
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static byte[] peek(InputStream in) throws IOException {
        if (!in.markSupported()) {
            return new byte[0];
        }
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        return head;
    }

    /**
     * Winlogbeat nests the event under {@code winlog}: {@code winlog.event_id} and the EventData
     * fields in {@code winlog.event_data}. They are lifted to the top level unless the line also
     * has them there.
     */
    private static void winlogbeat(JsonParser p, Map<String, String> fields) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.START_OBJECT && WINLOGBEAT_EVENT_DATA.equals(name)) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                        p.skipChildren();
                    } else if (v != JsonToken.VALUE_NULL) {
                        fields.putIfAbsent(field, p.getText());
                    }
                }
            } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                p.skipChildren();
            } else if (WINLOGBEAT_EVENT_ID.equals(name) && value != JsonToken.VALUE_NULL) {
                fields.putIfAbsent("EventID", p.getText());
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new JsonParseException(p, "unexpected " + t + " in winlog");
        }
    }

    /**
     * evtx-dump's shape: {@code Event.System.EventID} (a number, or an object with
     * {@code #text} when it has Qualifiers), the provider in
     * {@code Event.System.Provider.#attributes.Name}, and the EventData fields by name.
     */
    private static void evtxShape(JsonNode event, Map<String, String> fields) {
        JsonNode system = event.path("System");
        JsonNode id = system.path("EventID");
        if (id.isObject()) {
            id = id.path("#text");
        }
        if (id.isValueNode() && !id.isNull()) {
            fields.putIfAbsent("EventID", id.asText());
        }
        JsonNode provider = system.path("Provider").path("#attributes").path("Name");
        if (provider.isTextual()) {
            fields.put(PROVIDER_FIELD, provider.asText());
        }
        JsonNode data = event.path("EventData");
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                fields.putIfAbsent(e.getKey(), e.getValue().asText());
            }
        }
    }

    /** Field name to text for every top-level string/number/boolean; null if not an object. */
    private static Map<String, String> topLevelScalars(String text) throws IOException {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Map<String, String> fields = new HashMap<>();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT && WINLOGBEAT_OBJECT.equals(name)) {
                    winlogbeat(p, fields);
                } else if (value == JsonToken.START_OBJECT && EVTX_EVENT_OBJECT.equals(name)) {
                    evtxShape(p.readValueAsTree(), fields);
                } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    p.skipChildren();
                } else if (value != JsonToken.VALUE_NULL) {
                    fields.put(name, p.getText());
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new JsonParseException(p, "unexpected " + t);
            }
            if (p.nextToken() != null) {
                throw new JsonParseException(p, "text after the object");
            }
            return fields;
        }
    }
}
