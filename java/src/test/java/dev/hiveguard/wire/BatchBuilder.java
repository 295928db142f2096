package dev.hiveguard.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GET_EVENTS completions field by field from the header's layout, independently
 * of the decoder, so decoder tests can also build broken ones.
 */
final class BatchBuilder {

    static final class Event {
        int operation = 3;
        int flags;
        long id;
        long sequence = 1;
        long timestamp = 133_000_000_000_000_000L;
        long pid = 4242;
        long tid = 4243;
        int sessionId = 1;
        int timeoutMs;
        int valueType;
        int dataOriginalSize = -1; // -1: data.length
        String keyPath = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
        String valueName = "";
        String newName = "";
        String image = "";
        String userSid = "";
        byte[] data = new byte[0];
        int sizeOverride = -1;
        int reserved;

        byte[] encode() {
            byte[] k = keyPath.getBytes(StandardCharsets.UTF_16LE);
            byte[] v = valueName.getBytes(StandardCharsets.UTF_16LE);
            byte[] n = newName.getBytes(StandardCharsets.UTF_16LE);
            byte[] im = image.getBytes(StandardCharsets.UTF_16LE);
            byte[] s = userSid.getBytes(StandardCharsets.UTF_16LE);
            int content = 80 + k.length + v.length + n.length + im.length + s.length + data.length;
            int size = (content + 7) & ~7;
            ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(sizeOverride >= 0 ? sizeOverride : size).putShort((short) operation).putShort((short) flags)
                    .putLong(id).putLong(sequence).putLong(timestamp).putLong(pid).putLong(tid)
                    .putInt(sessionId).putInt(timeoutMs).putInt(valueType)
                    .putInt(dataOriginalSize >= 0 ? dataOriginalSize : data.length).putInt(data.length)
                    .putShort((short) k.length).putShort((short) v.length).putShort((short) n.length)
                    .putShort((short) im.length).putShort((short) s.length).putShort((short) reserved);
            b.put(k).put(v).put(n).put(im).put(s).put(data);
            return b.array();
        }
    }

    final List<Event> events = new ArrayList<>();
    int magic = Wire.MAGIC;
    int countOverride = -1;
    int totalOverride = -1;
    long droppedTotal;

    Event add() {
        Event e = new Event();
        e.sequence = events.size() + 1;
        events.add(e);
        return e;
    }

    ByteBuffer build() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Event e : events) {
            body.writeBytes(e.encode());
        }
        int total = 24 + body.size();
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(countOverride >= 0 ? countOverride : events.size())
                .putInt(totalOverride >= 0 ? totalOverride : total).putInt(0).putLong(droppedTotal);
        b.put(body.toByteArray());
        b.flip();
        return b;
    }
}
