package dev.hiveguard.replay;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.InputStreamReader;
import java.util.HashMap;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Sysmon events exported as XML. {@code wevtutil qe Microsoft-Windows-Sysmon/Operational /f:xml}
 * writes the {@code <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">}
 * elements back to back with no root element - not a well-formed document - while Event
 * Viewer's "Save as XML" wraps them in {@code <Events>}. Both are read the same way: each
 * {@code <Event>...</Event>} span is cut out of the text and parsed on its own, so one damaged
 * event is reported with its line and the rest of the file still replays. The file is read
 * line by line and only the Event element being cut out is kept, at most
 * {@link #MAX_EVENT_CHARS} characters of it.
 *
 * <p>Parsing is locked down: no DTD, no external entities (an event log export never needs
 * them, and a recording is untrusted input).
 */
final class SysmonXmlReader implements RecordingReader {

    private static final String EVENT_OPEN = "<Event";
    private static final String EVENT_CLOSE = "</Event>";
    /** A Sysmon Event element is a few KiB; anything this long is not one. */
    static final int MAX_EVENT_CHARS = 1 << 20;

    private final PathTranslator paths;
    private final XMLInputFactory factory;

    SysmonXmlReader(PathTranslator paths) {
        this.paths = paths;
        this.factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        factory.setProperty(XMLInputFactory.IS_COALESCING, true);
    }

    @Override
    public void read(String source, InputStream in, RecordingVisitor visitor) throws IOException {
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        in.skipNBytes(TextDecoding.bomLength(head, head.length));
        BoundedLineReader lines = new BoundedLineReader(
                new InputStreamReader(in, TextDecoding.sniff(head, head.length)), MAX_EVENT_CHARS);
        // One Event element at a time is kept, never the file: memory is bounded by MAX_EVENT_CHARS.
        StringBuilder event = null;
        long eventLine = 0;
        String line;
        while ((line = lines.readLine()) != null) {
            long lineNumber = lines.lineNumber();
            if (lines.truncated()) {
                visitor.unparseable(new UnparseableRecord(source, event == null ? lineNumber : eventLine,
                        "line longer than " + MAX_EVENT_CHARS + " characters; skipped"
                                + (event == null ? "" : " with the Event element it is in")));
                event = null;
                continue;
            }
            int from = 0;
            while (true) {
                if (event == null) {
                    int start = findEventStart(line, from);
                    if (start < 0) {
                        break;
                    }
                    event = new StringBuilder();
                    eventLine = lineNumber;
                    from = start;
                }
                int end = line.indexOf(EVENT_CLOSE, from);
                if (end < 0) {
                    if (event.length() + line.length() - from > MAX_EVENT_CHARS) {
                        visitor.unparseable(new UnparseableRecord(source, eventLine, "Event element longer than "
                                + MAX_EVENT_CHARS + " characters; skipped"));
                        event = null;
                    } else {
                        event.append(line, from, line.length()).append('\n');
                    }
                    break;
                }
                end += EVENT_CLOSE.length();
                event.append(line, from, end);
                parseEvent(source, eventLine, event.toString(), visitor);
                event = null;
                from = end;
            }
        }
        if (event != null) {
            visitor.unparseable(new UnparseableRecord(source, eventLine, "Event element is not closed (truncated export?)"));
        }
    }

    /** Next {@code <Event} that is the Event element itself (not Events, EventData, EventID...). */
    private static int findEventStart(String text, int from) {
        int i = from;
        while (true) {
            i = text.indexOf(EVENT_OPEN, i);
            if (i < 0) {
                return -1;
            }
            int after = i + EVENT_OPEN.length();
            if (after < text.length()) {
                char c = text.charAt(after);
                if (c == '>' || Character.isWhitespace(c)) {
                    return i;
                }
            }
            i = after;
        }
    }

    private void parseEvent(String source, long line, String xml, RecordingVisitor visitor) {
        Map<String, String> fields = new HashMap<>();
        String eventIdText = null;
        try {
            XMLStreamReader r = factory.createXMLStreamReader(new StringReader(xml));
            try {
                String section = "";
                while (r.hasNext()) {
                    int ev = r.next();
                    if (ev != XMLStreamConstants.START_ELEMENT) {
                        continue;
                    }
                    String name = r.getLocalName();
                    switch (name) {
                        case "System", "EventData", "RenderingInfo" -> section = name;
                        case "EventID" -> {
                            if (section.equals("System")) {
                                eventIdText = r.getElementText();
                            }
                        }
                        case "Data" -> {
                            String dataName = r.getAttributeValue(null, "Name");
                            String value = r.getElementText();
                            if (section.equals("EventData") && dataName != null) {
                                fields.put(dataName, value);
                            }
                        }
                        case "Message" -> {
                            // Event Viewer's saved XML may carry the rendered text as well.
                            if (section.equals("RenderingInfo")) {
                                fields.putIfAbsent("Message", r.getElementText());
                            }
                        }
                        default -> {
                        }
                    }
                }
            } finally {
                r.close();
            }
        } catch (XMLStreamException e) {
            String where = e.getLocation() == null ? "" : " (event line " + e.getLocation().getLineNumber() + ")";
            visitor.unparseable(new UnparseableRecord(source, line, "malformed Event XML" + where + ": "
                    + firstLine(e.getMessage())));
            return;
        }
        if (eventIdText == null) {
            visitor.unparseable(new UnparseableRecord(source, line, "Event without System/EventID"));
            return;
        }
        int eventId;
        try {
            eventId = Integer.parseInt(eventIdText.strip());
        } catch (NumberFormatException e) {
            visitor.unparseable(new UnparseableRecord(source, line, "EventID '" + eventIdText + "' is not a number"));
            return;
        }
        SysmonEventFields.interpret(source, line, eventId, fields, paths, visitor);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String m = message.strip();
        int nl = m.lastIndexOf('\n');
        // The JDK's StAX puts "ParseError at [row,col]:[..]" first and the reason on the last line.
        return nl < 0 ? m : m.substring(nl + 1).strip();
    }
}
