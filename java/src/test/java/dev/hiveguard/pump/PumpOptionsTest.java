package dev.hiveguard.pump;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.Wire;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PumpOptionsTest {

    @Test
    void defaultsAreLegalAndFitOneReplyPerBatch() {
        PumpOptions o = PumpOptions.defaults();
        assertTrue(PumpOptions.maxEventsPerBatch(o.bufferBytes()) <= o.replyBatchMax());
        assertDoesNotThrow(() -> o.checkAgainst(new HelloReply(1, 0, 0, Wire.MAX_EVENT_BYTES,
                Wire.GET_EVENTS_MIN_BYTES, Wire.GET_EVENTS_MAX_BYTES, Wire.REPLY_MAX_ENTRIES, Wire.PARKED_MAX, 1)));
    }

    @Test
    void rejectsValuesOutsideTheirRanges() {
        PumpOptions d = PumpOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withParkedRequests(0));
        assertThrows(IllegalArgumentException.class, () -> d.withParkedRequests(Wire.PARKED_MAX + 1));
        assertThrows(IllegalArgumentException.class, () -> d.withDecisionThreads(0));
        assertThrows(IllegalArgumentException.class, () -> d.withHandoffCapacity(0));
        assertThrows(IllegalArgumentException.class, () -> new PumpOptions(1, Wire.GET_EVENTS_MIN_BYTES - 1,
                4096, 1, 1, Duration.ZERO, Duration.ofSeconds(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PumpOptions(1,
                Wire.GET_EVENTS_MAX_BYTES, Wire.REPLY_MAX_ENTRIES, 1, 1, Duration.ZERO, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("several REPLYs"), e.getMessage());
    }

    @Test
    void rejectsOptionsBeyondWhatTheDriverAnnounced() {
        HelloReply small = new HelloReply(1, 0, 0, Wire.MAX_EVENT_BYTES, Wire.GET_EVENTS_MIN_BYTES,
                Wire.GET_EVENTS_MAX_BYTES, 100, 4, 1);
        assertThrows(IllegalArgumentException.class, () -> PumpOptions.defaults().checkAgainst(small));
    }
}
