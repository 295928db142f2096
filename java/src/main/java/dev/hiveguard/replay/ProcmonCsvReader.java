package dev.hiveguard.replay;

import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.ValueRendering;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

/**
 * Process Monitor's File > Save > CSV export: a header row naming the columns (by default
 * "Time of Day","Process Name","PID","Operation","Path","Result","Detail", plus any column the
 * user enabled such as "Image Path", "User", "TID" or "Date &amp; Time"), every field quoted.
 *
 * <p>ProcMon logs what a call did, including reads. HiveGuard's callback sees only the
 * operation classes of {@code enum hg_operation}; ProcMon's read-only operations (RegQueryValue,
 * RegEnumKey, RegCloseKey...) and non-registry rows are counted as outside those classes, not
 * as broken. Failed operations are replayed too: a pre-operation callback runs before the
 * registry decides the result.
 */
final class ProcmonCsvReader implements RecordingReader {

    static final String COL_TIME = "Time of Day";
    static final String COL_PROCESS = "Process Name";
    static final String COL_PID = "PID";
    static final String COL_OPERATION = "Operation";
    static final String COL_PATH = "Path";
    static final String COL_DETAIL = "Detail";
    static final String COL_IMAGE = "Image Path";
    static final String COL_USER = "User";
    static final String COL_DATE_TIME = "Date & Time";

    /** ProcMon's registry operation names for the classes the callback sees. */
    private static final Map<String, Operation> OPERATIONS = Map.ofEntries(
            Map.entry("RegCreateKey", Operation.CREATE_KEY),
            Map.entry("RegOpenKey", Operation.OPEN_KEY),
            Map.entry("RegSetValue", Operation.SET_VALUE),
            Map.entry("RegDeleteValue", Operation.DELETE_VALUE),
            Map.entry("RegDeleteKey", Operation.DELETE_KEY),
            Map.entry("RegRenameKey", Operation.RENAME_KEY),
            Map.entry("RegSetKeySecurity", Operation.SET_KEY_SECURITY),
            Map.entry("RegSetInfoKey", Operation.SET_INFORMATION),
            Map.entry("RegLoadKey", Operation.LOAD_KEY),
            Map.entry("RegUnLoadKey", Operation.UNLOAD_KEY),
            Map.entry("RegSaveKey", Operation.SAVE_KEY),
            Map.entry("RegRestoreKey", Operation.RESTORE_KEY),
            Map.entry("RegReplaceKey", Operation.REPLACE_KEY),
            Map.entry("RegFlushKey", Operation.FLUSH_KEY));

    /** {@code Type: REG_DWORD, Length: 4, Data: 1}; Data is absent for zero-length values. */
    private static final Pattern SET_VALUE_DETAIL =
            Pattern.compile("Type: (\\w+), Length: (\\d+)(?:, Data: (.*))?", Pattern.DOTALL);
    /** ProcMon shows the first bytes of binary data as hex pairs and stops. */
    private static final Pattern HEX_BYTE = Pattern.compile("[0-9A-Fa-f]{2}");
    private static final Pattern NEW_NAME = Pattern.compile("(?:New ?Name|NewName): (.*)", Pattern.DOTALL);

    /** 12-hour clock as ProcMon prints it under an English locale: {@code 3:52:54.2147483 PM}. */
    private static final DateTimeFormatter TIME_12H = new DateTimeFormatterBuilder()
            .parseCaseInsensitive().appendPattern("h:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendPattern(" a").toFormatter(Locale.US);
    /** 24-hour clock, as other locales print it. */
    private static final DateTimeFormatter TIME_24H = new DateTimeFormatterBuilder()
            .appendPattern("H:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter(Locale.US);
    private static final DateTimeFormatter DATE_US = DateTimeFormatter.ofPattern("M/d/yyyy", Locale.US);
    /** Without a "Date &amp; Time" column the day is unknown; times are placed on this day. */
    private static final LocalDate UNKNOWN_DAY = LocalDate.of(1970, 1, 1);
    /** A time of day that jumps back by more than this has crossed midnight. */
    private static final long MIDNIGHT_WRAP_NANOS = 12L * 3600 * 1_000_000_000L;

    private final PathTranslator paths;

    ProcmonCsvReader(PathTranslator paths) {
        this.paths = paths;
    }

    @Override
    public void read(String source, InputStream in, RecordingVisitor visitor) throws IOException {
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        in.skipNBytes(TextDecoding.bomLength(head, head.length));
        BufferedReader text = new BufferedReader(new RecordBound(
                new InputStreamReader(in, TextDecoding.sniff(head, head.length)), MAX_RECORD_CHARS));
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                .setIgnoreSurroundingSpaces(false).setAllowMissingColumnNames(true)
                // Two "Path" columns would make every row ambiguous.
                .setDuplicateHeaderMode(DuplicateHeaderMode.ALLOW_EMPTY).get();
        CSVParser parser;
        try {
            parser = CSVParser.parse(text, format);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // Duplicate column names, or a header line that is not CSV at all.
            throw new RecordingException(source + ": ProcMon CSV header is unusable: " + rootMessage(e), e);
        }
        try (CSVParser csv = parser) {
            Map<String, Integer> columns = new HashMap<>();
            for (Map.Entry<String, Integer> e : csv.getHeaderMap().entrySet()) {
                columns.put(e.getKey().strip(), e.getValue());
            }
            for (String required : List.of(COL_OPERATION, COL_PATH)) {
                if (!columns.containsKey(required)) {
                    throw new RecordingException(source + ": ProcMon CSV header has no \"" + required + "\" column");
                }
            }
            TimeTracker clock = new TimeTracker();
            Iterator<CSVRecord> rows = csv.iterator();
            long linesBefore = csv.getCurrentLineNumber();
            while (true) {
                CSVRecord row;
                try {
                    if (!rows.hasNext()) {
                        break;
                    }
                    row = rows.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    if (e.getCause() instanceof RecordingException fileError) {
                        throw fileError; // the file as a whole is refused (a decompression bomb)
                    }
                    // An unterminated quote swallows the rest of the file: nothing after it can be trusted.
                    visitor.unparseable(new UnparseableRecord(source, linesBefore + 1,
                            "malformed CSV, rest of file not read: " + rootMessage(e)));
                    return;
                }
                long line = linesBefore + 1;
                linesBefore = csv.getCurrentLineNumber();
                readRow(source, line, row, columns, clock, visitor);
            }
        }
    }

    /** A ProcMon row is well under 64 KiB even with a long Detail column. */
    static final int MAX_RECORD_CHARS = 1 << 20;

    /**
     * Fails the read when one CSV record (from a line end outside quotes to the next) grows past
     * a bound. The CSV parser keeps a whole record in memory and an unterminated quote would
     * make the rest of the file one record; quotes are tracked by parity, which RFC 4180's
     * doubled quotes keep right.
     */
    private static final class RecordBound extends java.io.FilterReader {
        private final int max;
        private int sinceRecordEnd;
        private boolean inQuotes;

        RecordBound(java.io.Reader in, int max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) {
                count((char) c);
            }
            return c;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            for (int i = 0; i < n; i++) {
                count(buffer[offset + i]);
            }
            return n;
        }

        private void count(char c) throws IOException {
            if (c == '"') {
                inQuotes = !inQuotes;
            }
            if (!inQuotes && (c == '\n' || c == '\r')) {
                sinceRecordEnd = 0;
            } else if (++sinceRecordEnd > max) {
                throw new IOException("a CSV record longer than " + max + " characters (unterminated quote?)");
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private void readRow(String source, long line, CSVRecord row, Map<String, Integer> columns, TimeTracker clock,
                         RecordingVisitor visitor) {
        if (row.size() < columns.size()) {
            visitor.unparseable(new UnparseableRecord(source, line,
                    "row has " + row.size() + " fields, the header " + columns.size()));
            return;
        }
        String toolOp = get(row, columns, COL_OPERATION);
        if (toolOp.isEmpty()) {
            visitor.unparseable(new UnparseableRecord(source, line, "empty Operation"));
            return;
        }
        Operation op = OPERATIONS.get(toolOp);
        if (op == null) {
            visitor.outsideOperationClasses(source, line, toolOp);
            return;
        }
        String path = get(row, columns, COL_PATH);
        String keyTarget = path;
        String valueName = "";
        if (op == Operation.SET_VALUE || op == Operation.DELETE_VALUE) {
            int cut = path.lastIndexOf('\\');
            if (cut <= 0) {
                visitor.unparseable(new UnparseableRecord(source, line, "Path '" + path + "' has no value name"));
                return;
            }
            keyTarget = path.substring(0, cut);
            valueName = path.substring(cut + 1);
            if (valueName.equals(SysmonEventFields.DEFAULT_VALUE_NAME)) {
                valueName = "";
            }
        }
        String keyPath = paths.toKernel(keyTarget);
        if (keyPath == null) {
            visitor.unparseable(new UnparseableRecord(source, line,
                    "Path '" + path + "' does not start with a registry root (HKLM, HKCU, HKU, HKCR)"));
            return;
        }
        String detail = get(row, columns, COL_DETAIL);
        RegValue value = RegValue.NONE;
        if (op == Operation.SET_VALUE) {
            value = setValueDetail(detail);
            if (value == null) {
                visitor.unparseable(new UnparseableRecord(source, line,
                        "RegSetValue Detail '" + detail + "' is not 'Type: REG_..., Length: n, Data: ...'"));
                return;
            }
        }
        String newName = "";
        if (op == Operation.RENAME_KEY) {
            Matcher m = NEW_NAME.matcher(detail);
            if (!m.matches() || m.group(1).isBlank()) {
                visitor.unparseable(new UnparseableRecord(source, line, "RegRenameKey Detail has no new name"));
                return;
            }
            String full = m.group(1).strip();
            newName = full.substring(full.lastIndexOf('\\') + 1);
        }
        long pid = RecordedOperation.PID_UNKNOWN;
        String pidText = get(row, columns, COL_PID);
        if (!pidText.isEmpty()) {
            try {
                pid = Long.parseLong(pidText);
            } catch (NumberFormatException e) {
                visitor.unparseable(new UnparseableRecord(source, line, "PID '" + pidText + "' is not a number"));
                return;
            }
        }
        String image = get(row, columns, COL_IMAGE);
        if (image.isEmpty()) {
            image = get(row, columns, COL_PROCESS);
        }
        String time = get(row, columns, COL_TIME);
        Instant when = clock.instant(get(row, columns, COL_DATE_TIME), time);
        visitor.operation(new RecordedOperation(source, line, when, time, op, keyPath, valueName, value.type(),
                value.data(), value.known(), value.originalSize(), newName, pid, "", image,
                get(row, columns, COL_USER)));
    }

    private static String get(CSVRecord row, Map<String, Integer> columns, String name) {
        Integer i = columns.get(name);
        if (i == null || i >= row.size()) {
            return "";
        }
        return row.get(i).strip();
    }

    /** Null when the detail does not have ProcMon's RegSetValue shape. */
    static RegValue setValueDetail(String detail) {
        Matcher m = SET_VALUE_DETAIL.matcher(detail);
        if (!m.matches()) {
            return null;
        }
        int type = RegValue.typeFromName(m.group(1));
        if (type < 0) {
            return null;
        }
        long length;
        try {
            length = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            return null;
        }
        if (length > Integer.MAX_VALUE) {
            return null;
        }
        String data = m.group(3) == null ? "" : m.group(3);
        int size = (int) length;
        switch (type) {
            case RegistryValueType.REG_DWORD, RegistryValueType.REG_QWORD -> {
                Long number = parseNumber(data.strip());
                if (number == null) {
                    return null;
                }
                RegValue v = type == RegistryValueType.REG_DWORD ? RegValue.dword(number) : RegValue.qword(number);
                return new RegValue(type, v.data(), v.data().length == size, size);
            }
            case RegistryValueType.REG_SZ, RegistryValueType.REG_EXPAND_SZ -> {
                byte[] bytes = RegValue.utf16z(data);
                // ProcMon shows the text without its terminator; a length that disagrees means it was cut.
                return new RegValue(type, bytes, bytes.length == size, size);
            }
            case RegistryValueType.REG_MULTI_SZ -> {
                // ProcMon separates the strings for display; how it does so is not documented, so the
                // text stays one string and the data counts as not exactly known.
                return new RegValue(type, ValueRendering.multiSz(List.of(data)), false, size);
            }
            default -> {
                List<Byte> bytes = new ArrayList<>();
                for (String token : data.strip().split("\\s+")) {
                    if (!HEX_BYTE.matcher(token).matches()) {
                        break; // "..." or nothing: ProcMon stopped printing
                    }
                    bytes.add((byte) Integer.parseInt(token, 16));
                }
                byte[] raw = new byte[bytes.size()];
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = bytes.get(i);
                }
                return new RegValue(type, raw, raw.length == size, size);
            }
        }
    }

    private static Long parseNumber(String text) {
        try {
            if (text.regionMatches(true, 0, "0x", 0, 2)) {
                return Long.parseUnsignedLong(text.substring(2), 16);
            }
            return Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Times of day become instants; a jump back of half a day means midnight passed. */
    private static final class TimeTracker {
        private LocalDate day = UNKNOWN_DAY;
        private LocalTime last;

        Instant instant(String dateTime, String timeOfDay) {
            LocalTime t = parseTime(timeOfDay);
            if (t == null) {
                return null;
            }
            LocalDate date = parseDate(dateTime);
            if (date != null) {
                day = date;
            } else if (last != null && last.toNanoOfDay() - t.toNanoOfDay() > MIDNIGHT_WRAP_NANOS) {
                day = day.plusDays(1);
            }
            last = t;
            return LocalDateTime.of(day, t).toInstant(ZoneOffset.UTC);
        }

        private static LocalTime parseTime(String text) {
            for (DateTimeFormatter f : List.of(TIME_12H, TIME_24H)) {
                try {
                    return LocalTime.parse(text, f);
                } catch (DateTimeParseException e) {
                    // try the next clock style
                }
            }
            return null;
        }

        private static LocalDate parseDate(String dateTime) {
            if (dateTime.isEmpty()) {
                return null;
            }
            int space = dateTime.indexOf(' ');
            try {
                return LocalDate.parse(space < 0 ? dateTime : dateTime.substring(0, space), DATE_US);
            } catch (DateTimeParseException e) {
                return null;
            }
        }
    }
}
