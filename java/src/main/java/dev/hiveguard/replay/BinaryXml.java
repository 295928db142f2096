package dev.hiveguard.replay;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Binary XML of one EVTX chunk: the token stream an event record's payload is written in,
 * turned into a small element tree. Written from the public descriptions of the format
 * (libyal's "Windows XML Event Log (EVTX)" and [MS-EVEN6] section 3.1.4.7).
 *
 * <p>Every offset in Binary XML is relative to the start of its 64 KiB chunk: element and
 * attribute names are stored once per chunk and referenced by offset, and so are template
 * definitions (the element skeleton of an event with numbered substitution slots), which the
 * first record using them carries inline. A record is therefore decoded against its chunk's
 * bytes, and definitions are parsed once per chunk and cached here.
 *
 * <p>Input is untrusted: every read is bounds-checked against the region it belongs to and
 * nesting (elements, embedded Binary XML values) is bounded, so a damaged record ends in a
 * {@link FormatException} with a reason, never in an exception of the JDK or deep recursion.
 */
final class BinaryXml {

    /** A record, value or name that breaks the format; the reader reports it with its offset. */
    static final class FormatException extends Exception {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    /** One element of a decoded event; text is the concatenation of its character content. */
    static final class Element {
        final String name;
        final Map<String, String> attributes = new LinkedHashMap<>();
        final List<Element> children = new ArrayList<>();
        final StringBuilder text = new StringBuilder();

        Element(String name) {
            this.name = name;
        }

        Element child(String childName) {
            for (Element c : children) {
                if (c.name.equals(childName)) {
                    return c;
                }
            }
            return null;
        }
    }

    // Tokens, [MS-EVEN6] 3.1.4.7.1; 0x40 on a token means "more data follows" (attributes, or
    // another value of the same attribute), which is read from the structure itself.
    private static final int TOKEN_EOF = 0x00;
    private static final int TOKEN_OPEN_START_ELEMENT = 0x01;
    private static final int TOKEN_CLOSE_START_ELEMENT = 0x02;
    private static final int TOKEN_CLOSE_EMPTY_ELEMENT = 0x03;
    private static final int TOKEN_END_ELEMENT = 0x04;
    private static final int TOKEN_VALUE = 0x05;
    private static final int TOKEN_ATTRIBUTE = 0x06;
    private static final int TOKEN_CDATA = 0x07;
    private static final int TOKEN_CHAR_REF = 0x08;
    private static final int TOKEN_ENTITY_REF = 0x09;
    private static final int TOKEN_PI_TARGET = 0x0A;
    private static final int TOKEN_PI_DATA = 0x0B;
    private static final int TOKEN_TEMPLATE_INSTANCE = 0x0C;
    private static final int TOKEN_NORMAL_SUBSTITUTION = 0x0D;
    private static final int TOKEN_OPTIONAL_SUBSTITUTION = 0x0E;
    private static final int TOKEN_FRAGMENT_HEADER = 0x0F;
    private static final int TOKEN_MORE_FLAG = 0x40;

    // Value types, [MS-EVEN6] 3.1.4.7.3; 0x80 marks an array of the type in the low bits.
    static final int TYPE_NULL = 0x00;
    static final int TYPE_STRING = 0x01;
    static final int TYPE_ANSI_STRING = 0x02;
    static final int TYPE_INT8 = 0x03;
    static final int TYPE_UINT8 = 0x04;
    static final int TYPE_INT16 = 0x05;
    static final int TYPE_UINT16 = 0x06;
    static final int TYPE_INT32 = 0x07;
    static final int TYPE_UINT32 = 0x08;
    static final int TYPE_INT64 = 0x09;
    static final int TYPE_UINT64 = 0x0A;
    static final int TYPE_REAL32 = 0x0B;
    static final int TYPE_REAL64 = 0x0C;
    static final int TYPE_BOOL = 0x0D;
    static final int TYPE_BINARY = 0x0E;
    static final int TYPE_GUID = 0x0F;
    static final int TYPE_SIZE_T = 0x10;
    static final int TYPE_FILETIME = 0x11;
    static final int TYPE_SYSTEMTIME = 0x12;
    static final int TYPE_SID = 0x13;
    static final int TYPE_HEX_INT32 = 0x14;
    static final int TYPE_HEX_INT64 = 0x15;
    static final int TYPE_BINARY_XML = 0x21;
    static final int TYPE_ARRAY_FLAG = 0x80;

    /** Elements nest this deep at most; real events nest 3 or 4 deep. */
    private static final int MAX_DEPTH = 64;
    /** Binary XML values embedded in substitution values, nested at most this deep. */
    private static final int MAX_EMBEDDING = 4;
    /** Substitution slots per template instance; a Sysmon event has about 20. */
    private static final int MAX_SUBSTITUTIONS = 4096;
    /** Bytes of a template definition header: next offset, GUID, data size. */
    private static final int TEMPLATE_HEADER_BYTES = 24;
    /** Bytes of a name before its characters: next offset, hash, character count. */
    private static final int NAME_HEADER_BYTES = 8;
    /** 100 ns ticks between 1601-01-01 (FILETIME epoch) and 1970-01-01. */
    private static final long FILETIME_UNIX_EPOCH_TICKS = 116_444_736_000_000_000L;
    /** evtx-dump's rendering of FILETIME values: microseconds, UTC. */
    private static final DateTimeFormatter FILETIME_TEXT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    /** A template definition's skeleton: elements whose content may hold substitution slots. */
    private sealed interface Node permits ElementNode, TextNode, SlotNode {
    }

    private record ElementNode(String name, List<AttributeNode> attributes, List<Node> content) implements Node {
    }

    private record AttributeNode(String name, List<Node> value) {
    }

    private record TextNode(String text) implements Node {
    }

    /** Substitution slot {@code index}; an optional one vanishes when its value is null. */
    private record SlotNode(int index, boolean optional) implements Node {
    }

    /** One substitution value: where its bytes are in the chunk, and their type. */
    private record Value(int type, int offset, int size) {
    }

    private final byte[] chunk;
    private final int chunkLength;
    private final Map<Integer, String> names = new HashMap<>();
    private final Map<Integer, List<Node>> templates = new HashMap<>();

    /** @param chunk the chunk's bytes; read, never changed */
    BinaryXml(byte[] chunk, int chunkLength) {
        this.chunk = chunk;
        this.chunkLength = chunkLength;
    }

    /**
     * Decodes one record's payload, {@code [offset, end)} of the chunk, into its root element.
     */
    Element decodeRecord(int offset, int end) throws FormatException {
        Element root = new Element("#document");
        decodeFragmentInto(offset, end, root, 0);
        for (Element e : root.children) {
            return e;
        }
        throw new FormatException("record holds no element");
    }

    /** A fragment (header, then a template instance or an element) appended to {@code parent}. */
    private int decodeFragmentInto(int pos, int end, Element parent, int embedding) throws FormatException {
        if (embedding > MAX_EMBEDDING) {
            throw new FormatException("Binary XML values nested more than " + MAX_EMBEDDING + " deep");
        }
        Cursor c = new Cursor(pos, end);
        while (c.pos < end) {
            int token = c.peek();
            if (token == TOKEN_EOF) {
                c.pos++;
                return c.pos;
            }
            if (token == TOKEN_FRAGMENT_HEADER) {
                c.skip(4); // token, major and minor version, flags
            } else if (token == TOKEN_TEMPLATE_INSTANCE) {
                templateInstance(c, parent, embedding);
            } else if ((token & ~TOKEN_MORE_FLAG) == TOKEN_OPEN_START_ELEMENT) {
                ElementNode skeleton = element(c, 0);
                render(skeleton, List.of(), parent, embedding);
            } else {
                throw new FormatException(String.format(Locale.ROOT, "unexpected token 0x%02x at chunk offset %d",
                        token, c.pos));
            }
        }
        return c.pos;
    }

    /** A template instance: the definition (inline or by offset), then the substitution values. */
    private void templateInstance(Cursor c, Element parent, int embedding) throws FormatException {
        c.skip(2); // token, and a byte of unknown meaning
        c.u32(); // template identifier; the definition's offset is what identifies it within a chunk
        int definition = (int) c.u32();
        List<Node> skeleton = templates.get(definition);
        if (definition == c.pos) {
            // The definition follows here, the first time the chunk uses it.
            int size = u32At(c.pos + TEMPLATE_HEADER_BYTES - 4);
            long after = (long) c.pos + TEMPLATE_HEADER_BYTES + size;
            if (after > c.end) {
                throw new FormatException("template definition runs past the record");
            }
            if (skeleton == null) {
                skeleton = templateDefinition(definition);
            }
            c.pos = (int) after;
        } else if (skeleton == null) {
            skeleton = templateDefinition(definition);
        }
        long count = c.u32();
        if (count > MAX_SUBSTITUTIONS) {
            throw new FormatException("template instance claims " + count + " substitution values");
        }
        List<Value> values = new ArrayList<>((int) count);
        int dataPos = c.pos + (int) count * 4;
        for (int i = 0; i < count; i++) {
            int size = c.u16();
            int type = c.u8();
            c.skip(1);
            values.add(new Value(type, dataPos, size));
            dataPos += size;
        }
        if (dataPos > c.end) {
            throw new FormatException("substitution values run past the record");
        }
        c.pos = dataPos;
        for (Node n : skeleton) {
            render(n, values, parent, embedding);
        }
    }

    /** The skeleton of the template definition at {@code offset}, parsed once per chunk. */
    private List<Node> templateDefinition(int offset) throws FormatException {
        List<Node> cached = templates.get(offset);
        if (cached != null) {
            return cached;
        }
        if (offset < 0 || (long) offset + TEMPLATE_HEADER_BYTES > chunkLength) {
            throw new FormatException("template definition offset " + offset + " is outside the chunk");
        }
        int size = u32At(offset + TEMPLATE_HEADER_BYTES - 4);
        long end = (long) offset + TEMPLATE_HEADER_BYTES + size;
        if (size < 0 || end > chunkLength) {
            throw new FormatException("template definition at " + offset + " runs past the chunk");
        }
        Cursor c = new Cursor(offset + TEMPLATE_HEADER_BYTES, (int) end);
        List<Node> nodes = new ArrayList<>();
        while (c.pos < c.end) {
            int token = c.peek();
            if (token == TOKEN_EOF) {
                break;
            } else if (token == TOKEN_FRAGMENT_HEADER) {
                c.skip(4);
            } else if ((token & ~TOKEN_MORE_FLAG) == TOKEN_OPEN_START_ELEMENT) {
                nodes.add(element(c, 0));
            } else {
                throw new FormatException(String.format(Locale.ROOT,
                        "unexpected token 0x%02x in template definition at chunk offset %d", token, c.pos));
            }
        }
        templates.put(offset, nodes);
        return nodes;
    }

    /** An element: name, attributes, then content up to its end (or an empty-element close). */
    private ElementNode element(Cursor c, int depth) throws FormatException {
        if (depth > MAX_DEPTH) {
            throw new FormatException("elements nested more than " + MAX_DEPTH + " deep");
        }
        boolean hasAttributes = (c.u8() & TOKEN_MORE_FLAG) != 0;
        c.skip(2); // dependency identifier
        c.u32(); // size of the element's data; the tokens delimit it anyway
        String name = name(c);
        List<AttributeNode> attributes = new ArrayList<>();
        if (hasAttributes) {
            long listSize = c.u32();
            int listEnd = (int) Math.min((long) c.pos + listSize, c.end);
            while (c.pos < listEnd && (c.peek() & ~TOKEN_MORE_FLAG) == TOKEN_ATTRIBUTE) {
                c.skip(1);
                String attributeName = name(c);
                attributes.add(new AttributeNode(attributeName, valueTokens(c)));
            }
        }
        int close = c.u8();
        List<Node> content = new ArrayList<>();
        if (close == TOKEN_CLOSE_EMPTY_ELEMENT) {
            return new ElementNode(name, attributes, content);
        }
        if (close != TOKEN_CLOSE_START_ELEMENT) {
            throw new FormatException(String.format(Locale.ROOT, "element '%s' start not closed (token 0x%02x)",
                    name, close));
        }
        while (true) {
            int token = c.peek();
            int base = token & ~TOKEN_MORE_FLAG;
            if (token == TOKEN_END_ELEMENT) {
                c.skip(1);
                return new ElementNode(name, attributes, content);
            } else if (base == TOKEN_OPEN_START_ELEMENT) {
                content.add(element(c, depth + 1));
            } else if (base == TOKEN_PI_TARGET || base == TOKEN_PI_DATA) {
                processingInstruction(c);
            } else if (isValueToken(base)) {
                content.addAll(valueTokens(c));
            } else {
                throw new FormatException(String.format(Locale.ROOT,
                        "unexpected token 0x%02x in element '%s' at chunk offset %d", token, name, c.pos));
            }
        }
    }

    private static boolean isValueToken(int base) {
        return base == TOKEN_VALUE || base == TOKEN_NORMAL_SUBSTITUTION || base == TOKEN_OPTIONAL_SUBSTITUTION
                || base == TOKEN_CDATA || base == TOKEN_CHAR_REF || base == TOKEN_ENTITY_REF;
    }

    /** Consecutive text, reference and substitution tokens (an attribute's value or character content). */
    private List<Node> valueTokens(Cursor c) throws FormatException {
        List<Node> nodes = new ArrayList<>();
        while (c.pos < c.end && isValueToken(c.peek() & ~TOKEN_MORE_FLAG)) {
            int base = c.u8() & ~TOKEN_MORE_FLAG;
            switch (base) {
                case TOKEN_VALUE -> {
                    int type = c.u8();
                    if (type != TYPE_STRING) {
                        throw new FormatException("value token of type 0x" + Integer.toHexString(type)
                                + " (only strings are written inline)");
                    }
                    nodes.add(new TextNode(c.utf16(c.u16())));
                }
                case TOKEN_CDATA -> nodes.add(new TextNode(c.utf16(c.u16())));
                case TOKEN_CHAR_REF -> nodes.add(new TextNode(String.valueOf((char) c.u16())));
                case TOKEN_ENTITY_REF -> nodes.add(new TextNode(entity(name(c))));
                default -> {
                    int index = c.u16();
                    c.skip(1); // the declared type; the value's own descriptor is what counts
                    nodes.add(new SlotNode(index, base == TOKEN_OPTIONAL_SUBSTITUTION));
                }
            }
        }
        return nodes;
    }

    private void processingInstruction(Cursor c) throws FormatException {
        int base = c.u8() & ~TOKEN_MORE_FLAG;
        if (base == TOKEN_PI_TARGET) {
            name(c);
        } else {
            c.utf16(c.u16());
        }
    }

    private static String entity(String name) {
        return switch (name) {
            case "lt" -> "<";
            case "gt" -> ">";
            case "amp" -> "&";
            case "quot" -> "\"";
            case "apos" -> "'";
            default -> "&" + name + ";";
        };
    }

    /**
     * A name reference. The name itself is stored at the offset; when that offset is where the
     * cursor stands, the name is written right here (first use in the chunk) and is skipped.
     */
    private String name(Cursor c) throws FormatException {
        int offset = (int) c.u32();
        String cached = names.get(offset);
        if (offset == c.pos) {
            int count = u16At(offset + NAME_HEADER_BYTES - 2);
            c.skip(NAME_HEADER_BYTES + count * 2 + 2);
        }
        if (cached != null) {
            return cached;
        }
        if (offset < 0 || (long) offset + NAME_HEADER_BYTES > chunkLength) {
            throw new FormatException("name offset " + offset + " is outside the chunk");
        }
        int count = u16At(offset + NAME_HEADER_BYTES - 2);
        int start = offset + NAME_HEADER_BYTES;
        if ((long) start + count * 2L > chunkLength) {
            throw new FormatException("name at " + offset + " runs past the chunk");
        }
        String name = new String(chunk, start, count * 2, StandardCharsets.UTF_16LE);
        names.put(offset, name);
        return name;
    }

    // ------------------------------------------------------------------ rendering

    private void render(Node node, List<Value> values, Element parent, int embedding) throws FormatException {
        if (node instanceof TextNode t) {
            parent.text.append(t.text());
        } else if (node instanceof SlotNode s) {
            Value v = s.index() < values.size() ? values.get(s.index()) : null;
            if (v == null || v.type() == TYPE_NULL || v.size() == 0) {
                return;
            }
            if (v.type() == TYPE_BINARY_XML) {
                decodeFragmentInto(v.offset(), v.offset() + v.size(), parent, embedding + 1);
            } else {
                parent.text.append(valueText(v.type(), v.offset(), v.size()));
            }
        } else if (node instanceof ElementNode e) {
            Element out = new Element(e.name());
            for (AttributeNode a : e.attributes()) {
                Element holder = new Element(a.name());
                boolean present = false;
                for (Node n : a.value()) {
                    if (n instanceof SlotNode s && s.optional() && isNull(s, values)) {
                        continue;
                    }
                    render(n, values, holder, embedding);
                    present = true;
                }
                if (present) {
                    out.attributes.put(a.name(), holder.text.toString());
                }
            }
            for (Node n : e.content()) {
                render(n, values, out, embedding);
            }
            parent.children.add(out);
        }
    }

    private static boolean isNull(SlotNode s, List<Value> values) {
        if (s.index() >= values.size()) {
            return true;
        }
        Value v = values.get(s.index());
        return v.type() == TYPE_NULL || v.size() == 0;
    }

    /**
     * A substitution value as text, the way evtx-dump prints it (so a decoded record can be
     * compared with its JSON twin): integers in decimal, the hex types as 0x-prefixed
     * lower-case hex, GUIDs upper-case without braces, FILETIME as ISO-8601 UTC with
     * microseconds, SIDs in S-1-... form, arrays as comma-separated items.
     */
    String valueText(int type, int offset, int size) throws FormatException {
        if (offset < 0 || (long) offset + size > chunkLength) {
            throw new FormatException("value runs past the chunk");
        }
        if ((type & TYPE_ARRAY_FLAG) != 0) {
            return arrayText(type & ~TYPE_ARRAY_FLAG, offset, size);
        }
        return switch (type) {
            case TYPE_STRING -> trimNul(new String(chunk, offset, size & ~1, StandardCharsets.UTF_16LE));
            case TYPE_ANSI_STRING -> trimNul(new String(chunk, offset, size, StandardCharsets.ISO_8859_1));
            case TYPE_INT8 -> Byte.toString(chunk[fixed(offset, size, 1)]);
            case TYPE_UINT8 -> Integer.toString(chunk[fixed(offset, size, 1)] & 0xFF);
            case TYPE_INT16 -> Short.toString((short) u16At(fixed(offset, size, 2)));
            case TYPE_UINT16 -> Integer.toString(u16At(fixed(offset, size, 2)));
            case TYPE_INT32 -> Integer.toString(u32At(fixed(offset, size, 4)));
            case TYPE_UINT32 -> Long.toString(u32At(fixed(offset, size, 4)) & 0xFFFF_FFFFL);
            case TYPE_INT64 -> Long.toString(u64At(fixed(offset, size, 8)));
            case TYPE_UINT64 -> Long.toUnsignedString(u64At(fixed(offset, size, 8)));
            case TYPE_REAL32 -> Float.toString(Float.intBitsToFloat(u32At(fixed(offset, size, 4))));
            case TYPE_REAL64 -> Double.toString(Double.longBitsToDouble(u64At(fixed(offset, size, 8))));
            case TYPE_BOOL -> u32At(fixed(offset, size, 4)) != 0 ? "true" : "false";
            case TYPE_BINARY -> hex(offset, size);
            case TYPE_GUID -> guid(fixed(offset, size, 16));
            case TYPE_SIZE_T, TYPE_HEX_INT32, TYPE_HEX_INT64 -> hexInteger(offset, size);
            case TYPE_FILETIME -> filetime(u64At(fixed(offset, size, 8)));
            case TYPE_SYSTEMTIME -> systemtime(fixed(offset, size, 16));
            case TYPE_SID -> sid(offset, size);
            default -> throw new FormatException("value type 0x" + Integer.toHexString(type) + " is not known");
        };
    }

    private String arrayText(int itemType, int offset, int size) throws FormatException {
        List<String> items = new ArrayList<>();
        if (itemType == TYPE_STRING) {
            String all = new String(chunk, offset, size & ~1, StandardCharsets.UTF_16LE);
            for (String s : all.split("\0", -1)) {
                items.add(s);
            }
            if (!items.isEmpty() && items.get(items.size() - 1).isEmpty()) {
                items.remove(items.size() - 1);
            }
        } else {
            int width = switch (itemType) {
                case TYPE_INT8, TYPE_UINT8 -> 1;
                case TYPE_INT16, TYPE_UINT16 -> 2;
                case TYPE_INT32, TYPE_UINT32, TYPE_REAL32, TYPE_BOOL, TYPE_HEX_INT32 -> 4;
                case TYPE_INT64, TYPE_UINT64, TYPE_REAL64, TYPE_FILETIME, TYPE_HEX_INT64 -> 8;
                case TYPE_GUID, TYPE_SYSTEMTIME -> 16;
                default -> throw new FormatException("array of value type 0x" + Integer.toHexString(itemType)
                        + " is not supported");
            };
            if (size % width != 0) {
                throw new FormatException("array of " + size + " bytes is not a whole number of " + width
                        + "-byte items");
            }
            for (int at = offset; at < offset + size; at += width) {
                items.add(valueText(itemType, at, width));
            }
        }
        return String.join(",", items);
    }

    private int fixed(int offset, int size, int expected) throws FormatException {
        if (size != expected) {
            throw new FormatException("value of " + size + " bytes where its type takes " + expected);
        }
        return offset;
    }

    private static String trimNul(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '\0') {
            end--;
        }
        return s.substring(0, end);
    }

    private String hex(int offset, int size) {
        StringBuilder b = new StringBuilder(size * 2);
        for (int i = 0; i < size; i++) {
            b.append(String.format(Locale.ROOT, "%02X", chunk[offset + i] & 0xFF));
        }
        return b.toString();
    }

    private String hexInteger(int offset, int size) throws FormatException {
        if (size == 4) {
            return String.format(Locale.ROOT, "0x%08x", u32At(offset));
        }
        if (size == 8) {
            return String.format(Locale.ROOT, "0x%016x", u64At(offset));
        }
        throw new FormatException("hex integer of " + size + " bytes");
    }

    private String guid(int o) throws FormatException {
        return String.format(Locale.ROOT, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", u32At(o), u16At(o + 4),
                u16At(o + 6), chunk[o + 8], chunk[o + 9], chunk[o + 10], chunk[o + 11], chunk[o + 12], chunk[o + 13],
                chunk[o + 14], chunk[o + 15]);
    }

    static String filetime(long ticks) {
        long sinceUnix = ticks - FILETIME_UNIX_EPOCH_TICKS;
        Instant t = Instant.ofEpochSecond(Math.floorDiv(sinceUnix, 10_000_000L),
                Math.floorMod(sinceUnix, 10_000_000L) * 100);
        return FILETIME_TEXT.format(t);
    }

    private String systemtime(int o) throws FormatException {
        return String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u16At(o), u16At(o + 2), u16At(o + 6),
                u16At(o + 8), u16At(o + 10), u16At(o + 12), u16At(o + 14));
    }

    private String sid(int offset, int size) throws FormatException {
        if (size < 8) {
            throw new FormatException("SID of " + size + " bytes");
        }
        int revision = chunk[offset] & 0xFF;
        int subCount = chunk[offset + 1] & 0xFF;
        if (size != 8 + subCount * 4) {
            throw new FormatException("SID of " + size + " bytes with " + subCount + " sub-authorities");
        }
        long authority = 0;
        for (int i = 0; i < 6; i++) {
            authority = (authority << 8) | (chunk[offset + 2 + i] & 0xFF);
        }
        StringBuilder b = new StringBuilder("S-").append(revision).append('-').append(authority);
        for (int i = 0; i < subCount; i++) {
            b.append('-').append(u32At(offset + 8 + i * 4) & 0xFFFF_FFFFL);
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ raw reads

    private int u16At(int o) throws FormatException {
        check(o, 2, chunkLength);
        return (chunk[o] & 0xFF) | (chunk[o + 1] & 0xFF) << 8;
    }

    private int u32At(int o) throws FormatException {
        check(o, 4, chunkLength);
        return (chunk[o] & 0xFF) | (chunk[o + 1] & 0xFF) << 8 | (chunk[o + 2] & 0xFF) << 16 | (chunk[o + 3] & 0xFF) << 24;
    }

    private long u64At(int o) throws FormatException {
        return (u32At(o) & 0xFFFF_FFFFL) | ((long) u32At(o + 4)) << 32;
    }

    private static void check(int offset, long length, int limit) throws FormatException {
        if (offset < 0 || offset + length > limit) {
            throw new FormatException("read of " + length + " bytes at chunk offset " + offset
                    + " runs past its region (ends at " + limit + ")");
        }
    }

    /** A bounded read position inside the chunk. */
    private final class Cursor {
        int pos;
        final int end;

        Cursor(int pos, int end) throws FormatException {
            if (pos < 0 || end > chunkLength || pos > end) {
                throw new FormatException("region [" + pos + ", " + end + ") is outside the chunk");
            }
            this.pos = pos;
            this.end = end;
        }

        int peek() throws FormatException {
            check(pos, 1, end);
            return chunk[pos] & 0xFF;
        }

        int u8() throws FormatException {
            int v = peek();
            pos++;
            return v;
        }

        int u16() throws FormatException {
            check(pos, 2, end);
            int v = u16At(pos);
            pos += 2;
            return v;
        }

        long u32() throws FormatException {
            check(pos, 4, end);
            long v = u32At(pos) & 0xFFFF_FFFFL;
            pos += 4;
            return v;
        }

        void skip(long n) throws FormatException {
            check(pos, n, end);
            pos += (int) n;
        }

        String utf16(int chars) throws FormatException {
            check(pos, chars * 2L, end);
            String s = new String(chunk, pos, chars * 2, StandardCharsets.UTF_16LE);
            pos += chars * 2;
            return s;
        }
    }
}
