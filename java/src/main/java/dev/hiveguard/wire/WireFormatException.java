package dev.hiveguard.wire;

/**
 * A message that does not satisfy the wire contract: too short, a length that
 * disagrees with the buffer, a value outside its legal range, a bad magic. The
 * message names the message type, the field and its byte offset so that a log line
 * is enough to find the culprit in a hex dump.
 */
public final class WireFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String messageType;
    private final String field;
    private final int offset;

    public WireFormatException(String messageType, String field, int offset, String problem) {
        super(messageType + "." + field + " at byte " + offset + ": " + problem);
        this.messageType = messageType;
        this.field = field;
        this.offset = offset;
    }

    /** The wire structure being decoded or encoded, e.g. {@code HG_EVENT_HEADER}. */
    public String messageType() {
        return messageType;
    }

    /** The field that broke the contract. */
    public String field() {
        return field;
    }

    /** Byte offset of that field from the start of the buffer. */
    public int offset() {
        return offset;
    }
}
