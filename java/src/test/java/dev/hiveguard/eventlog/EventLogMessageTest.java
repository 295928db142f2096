package dev.hiveguard.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java list of Event IDs against the message table the DLL is compiled from
 * (driver/eventlog/hiveguard-messages.mc): same IDs, same symbolic names, and each
 * message uses exactly the insertion strings the agent passes (%1..%N, none skipped).
 */
class EventLogMessageTest {

    private record McMessage(int id, String symbolicName, int highestInsert, int distinctInserts) {
    }

    private static Map<String, McMessage> parseMc() throws IOException {
        Path driver = Path.of(System.getProperty("hiveguard.driver.dir", "driver"));
        Path mc = driver.resolve("eventlog").resolve("hiveguard-messages.mc");
        Map<String, McMessage> out = new LinkedHashMap<>();
        Pattern insert = Pattern.compile("%([1-9][0-9]?)");
        Integer id = null;
        String name = null;
        StringBuilder text = null;
        for (String line : Files.readAllLines(mc, StandardCharsets.UTF_8)) {
            if (text != null) {
                if (line.equals(".")) {
                    Matcher m = insert.matcher(text);
                    int highest = 0;
                    java.util.Set<Integer> seen = new java.util.HashSet<>();
                    while (m.find()) {
                        int n = Integer.parseInt(m.group(1));
                        highest = Math.max(highest, n);
                        seen.add(n);
                    }
                    out.put(name, new McMessage(id, name, highest, seen.size()));
                    id = null;
                    name = null;
                    text = null;
                } else {
                    text.append(line).append('\n');
                }
            } else if (line.startsWith("MessageId=")) {
                id = Integer.decode(line.substring("MessageId=".length()).trim());
            } else if (line.startsWith("SymbolicName=")) {
                name = line.substring("SymbolicName=".length()).trim();
            } else if (line.startsWith("Language=") && id != null) {
                text = new StringBuilder();
            }
        }
        return out;
    }

    @Test
    void everyJavaMessageIsInTheMessageTableWithItsIdAndInserts() throws IOException {
        Map<String, McMessage> mc = parseMc();
        assertEquals(EventLogMessage.values().length, mc.size(), "one .mc message per Java constant: " + mc.keySet());
        for (EventLogMessage m : EventLogMessage.values()) {
            McMessage entry = mc.get(m.symbolicName());
            assertTrue(entry != null, m.symbolicName() + " missing in the .mc file");
            assertEquals(m.eventId(), entry.id(), m.name());
            assertEquals(m.inserts(), entry.highestInsert(), m.name() + ": highest %N");
            assertEquals(m.inserts(), entry.distinctInserts(), m.name() + ": every insert from %1 to %N is used");
        }
    }

    @Test
    void eventIdsFitEventViewersSixteenBits() {
        for (EventLogMessage m : EventLogMessage.values()) {
            assertTrue(m.eventId() > 0 && m.eventId() <= 0xFFFF, m.name());
        }
    }
}
