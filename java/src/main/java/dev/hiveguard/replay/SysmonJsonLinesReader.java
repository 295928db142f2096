package dev.hiveguard.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.util.HashMap;
import java.util.Map;

/**
 * Sysmon events as JSON lines, one event object per line, as NXLog, the OTRF datasets and
 * Winlogbeat ship them. NXLog and the datasets put Sysmon's EventData fields at the top level
 * next to their own metadata; Winlogbeat nests them under {@code winlog} (see
 * {@link #winlogbeat}). Other nested objects are collector metadata and are skipped.
 */
final class SysmonJsonLinesReader implements RecordingReader {

    private static final JsonFactory JSON = new JsonFactory();
    private static final String WINLOGBEAT_OBJECT = "winlog";
    private static final String WINLOGBEAT_EVENT_DATA = "event_data";
    private static final String WINLOGBEAT_EVENT_ID = "event_id";

    private final PathTranslator paths;

    SysmonJsonLinesReader(PathTranslator paths) {
        this.paths = paths;
    }

    @Override
    public void read(String source, InputStream in, RecordingVisitor visitor) throws IOException {
        byte[] head = peek(in);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, TextDecoding.sniff(head, head.length)));
        long lineNumber = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue; // not a record: a trailing newline or a separator some shippers add
            }
            Map<String, String> fields;
            try {
                fields = topLevelScalars(line);
            } catch (JsonProcessingException e) {
                visitor.unparseable(new UnparseableRecord(source, lineNumber,
                        "not a JSON object: " + e.getOriginalMessage()));
                continue;
            }
            if (fields == null) {
                visitor.unparseable(new UnparseableRecord(source, lineNumber, "not a JSON object"));
                continue;
            }
            String idText = fields.get("EventID");
            if (idText == null) {
                visitor.unparseable(new UnparseableRecord(source, lineNumber, "missing EventID"));
                continue;
            }
            int eventId;
            try {
                eventId = Integer.parseInt(idText.strip());
            } catch (NumberFormatException e) {
                visitor.unparseable(new UnparseableRecord(source, lineNumber, "EventID '" + idText + "' is not a number"));
                continue;
            }
            SysmonEventFields.interpret(source, lineNumber, eventId, fields, paths, visitor);
        }
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
            throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected " + t + " in winlog");
        }
    }

    /** Field name to text for every top-level string/number/boolean; null if not an object. */
    private static Map<String, String> topLevelScalars(String line) throws IOException {
        try (JsonParser p = JSON.createParser(line)) {
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
                } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    p.skipChildren();
                } else if (value != JsonToken.VALUE_NULL) {
                    fields.put(name, p.getText());
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected " + t);
            }
            if (p.nextToken() != null) {
                throw new com.fasterxml.jackson.core.JsonParseException(p, "text after the object");
            }
            return fields;
        }
    }
}
