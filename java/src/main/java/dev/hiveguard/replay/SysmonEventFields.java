package dev.hiveguard.replay;

import dev.hiveguard.model.Operation;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Map;

/**
 * Interprets one Sysmon registry event (RegistryEvent, IDs 12, 13, 14) from its named fields,
 * whichever way they were shipped (JSON keys, XML {@code Data Name=} elements). Shared by the
 * JSON and XML readers so both formats mean exactly the same thing.
 *
 * <p>Collectors do not always keep every field: in the OTRF run-keys recording nine EventID 13
 * records have no EventType, no Message and no ProcessId. EventID alone still says what
 * happened for 13 (value set) and 14 (key renamed); for 12 it does not (create key, delete key
 * and delete value share it), so such a record is unparseable unless its Message says.
 */
final class SysmonEventFields {

    static final int EVENT_OBJECT_CREATE_DELETE = 12;
    static final int EVENT_VALUE_SET = 13;
    static final int EVENT_KEY_RENAME = 14;

    /** Sysmon's name for the unnamed (default) value of a key. */
    static final String DEFAULT_VALUE_NAME = "(Default)";

    /** Sysmon's UtcTime: {@code 2020-09-04 07:06:09.681}, always UTC. */
    private static final DateTimeFormatter UTC_TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter();

    private SysmonEventFields() {
    }

    /**
     * @param fields  field name to text; "Message" (the rendered text) is consulted for any
     *                field that is missing on its own
     * @param eventId the EventID, already parsed by the caller
     */
    static void interpret(String source, long line, int eventId, Map<String, String> fields, PathTranslator paths,
                          RecordingVisitor visitor) {
        if (eventId != EVENT_OBJECT_CREATE_DELETE && eventId != EVENT_VALUE_SET && eventId != EVENT_KEY_RENAME) {
            visitor.outsideOperationClasses(source, line, "Sysmon event " + eventId);
            return;
        }
        String message = fields.get("Message");
        String eventType = field(fields, message, "EventType");
        Operation op;
        if (eventType == null || eventType.isEmpty()) {
            if (eventId == EVENT_VALUE_SET) {
                op = Operation.SET_VALUE;
            } else if (eventId == EVENT_KEY_RENAME) {
                op = Operation.RENAME_KEY;
            } else {
                visitor.unparseable(new UnparseableRecord(source, line,
                        "EventID 12 without EventType: CreateKey, DeleteKey and DeleteValue cannot be told apart"));
                return;
            }
        } else {
            op = Operation.fromEventType(eventType);
            if (op == null || !consistent(eventId, op)) {
                visitor.unparseable(new UnparseableRecord(source, line,
                        "EventType '" + eventType + "' is not a registry operation of EventID " + eventId));
                return;
            }
        }
        String target = field(fields, message, "TargetObject");
        if (target == null || target.isEmpty()) {
            visitor.unparseable(new UnparseableRecord(source, line, "missing TargetObject"));
            return;
        }
        String keyTarget = target;
        String valueName = "";
        if (op == Operation.SET_VALUE || op == Operation.DELETE_VALUE) {
            // For value events Sysmon appends the value name to the key path.
            int cut = target.lastIndexOf('\\');
            if (cut <= 0) {
                visitor.unparseable(new UnparseableRecord(source, line,
                        "TargetObject '" + target + "' has no value name after the key"));
                return;
            }
            keyTarget = target.substring(0, cut);
            valueName = target.substring(cut + 1);
            if (valueName.equals(DEFAULT_VALUE_NAME)) {
                valueName = "";
            }
        }
        String keyPath = paths.toKernel(keyTarget);
        if (keyPath == null) {
            visitor.unparseable(new UnparseableRecord(source, line,
                    "TargetObject '" + target + "' does not start with a registry root (HKLM, HKU, HKCR, HKCU)"));
            return;
        }
        String newName = "";
        if (op == Operation.RENAME_KEY) {
            String full = field(fields, message, "NewName");
            if (full == null || full.isEmpty()) {
                visitor.unparseable(new UnparseableRecord(source, line, "RenameKey without NewName"));
                return;
            }
            // Sysmon prints the new full path; the callback's REG_RENAME_KEY_INFORMATION has only the name.
            newName = full.substring(full.lastIndexOf('\\') + 1);
        }
        RegValue value = op == Operation.SET_VALUE ? SysmonDetails.parse(field(fields, message, "Details"))
                : RegValue.NONE;
        long pid = RecordedOperation.PID_UNKNOWN;
        String pidText = field(fields, message, "ProcessId");
        if (pidText != null && !pidText.isEmpty()) {
            try {
                pid = Long.parseLong(pidText.strip());
            } catch (NumberFormatException e) {
                visitor.unparseable(new UnparseableRecord(source, line, "ProcessId '" + pidText + "' is not a number"));
                return;
            }
            if (pid < 0) {
                visitor.unparseable(new UnparseableRecord(source, line, "ProcessId '" + pidText + "' is negative"));
                return;
            }
        }
        String utcTime = field(fields, message, "UtcTime");
        visitor.operation(new RecordedOperation(source, line, parseUtcTime(utcTime), utcTime, op, keyPath, valueName,
                value.type(), value.data(), value.known(), value.originalSize(), newName, pid,
                field(fields, message, "ProcessGuid"), field(fields, message, "Image"),
                field(fields, message, "User")));
    }

    private static boolean consistent(int eventId, Operation op) {
        return switch (eventId) {
            case EVENT_OBJECT_CREATE_DELETE -> op == Operation.CREATE_KEY || op == Operation.DELETE_KEY
                    || op == Operation.DELETE_VALUE;
            case EVENT_VALUE_SET -> op == Operation.SET_VALUE;
            case EVENT_KEY_RENAME -> op == Operation.RENAME_KEY;
            default -> false;
        };
    }

    static Instant parseUtcTime(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(text.strip(), UTC_TIME).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A field by name, or the same-named line of the rendered Message ("Name: value\r\n"). */
    static String field(Map<String, String> fields, String message, String name) {
        String v = fields.get(name);
        if (v != null || message == null) {
            return v;
        }
        String prefix = name + ": ";
        int from = 0;
        while (from < message.length()) {
            int end = message.indexOf('\n', from);
            if (end < 0) {
                end = message.length();
            }
            String lineText = message.substring(from, end);
            if (lineText.endsWith("\r")) {
                lineText = lineText.substring(0, lineText.length() - 1);
            }
            if (lineText.startsWith(prefix)) {
                return lineText.substring(prefix.length());
            }
            from = end + 1;
        }
        return null;
    }
}
