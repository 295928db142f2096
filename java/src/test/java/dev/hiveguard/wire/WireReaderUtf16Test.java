package dev.hiveguard.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fast UTF-16 path decodes exactly as the charset does, surrogates included. */
class WireReaderUtf16Test {

    private static String decode(byte[] utf16le) {
        ByteBuffer b = ByteBuffer.allocateDirect(utf16le.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x11223344).put(utf16le).flip();
        return WireReader.of(b, "TEST").utf16(4, utf16le.length, "name");
    }

    private static void assertSameAsCharset(byte[] utf16le) {
        assertEquals(new String(utf16le, StandardCharsets.UTF_16LE), decode(utf16le));
    }

    @Test
    void decodesLikeTheCharset() {
        assertEquals("", decode(new byte[0]));
        assertSameAsCharset("\\REGISTRY\\MACHINE\\SOFTWARE\\Run".getBytes(StandardCharsets.UTF_16LE));
        assertSameAsCharset("Schlüssel \u0416\u4E2D\uFFFF".getBytes(StandardCharsets.UTF_16LE));
        assertSameAsCharset("pair \uD83D\uDE00 ok".getBytes(StandardCharsets.UTF_16LE));
        // Unpaired surrogates (legal in registry names, not in UTF-16): replaced, as before.
        assertSameAsCharset(new byte[] {0x41, 0, 0x00, (byte) 0xD8, 0x42, 0});
        assertSameAsCharset(new byte[] {0x00, (byte) 0xDC});
    }
}
