package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hiveguard.metrics.LatencySamples;
import dev.hiveguard.metrics.TextTable;
import org.junit.jupiter.api.Test;

/** The metric formatting the CLI's summaries are built from. */
class SummaryFormattingTest {

    @Test
    void tableAlignsTextLeftAndNumbersRight() {
        String t = new TextTable("rule", "count>").row("RunKey", 3).row("IFEO-Debugger", 12).render();
        assertEquals(""
                + "rule           count\n"
                + "-------------  -----\n"
                + "RunKey             3\n"
                + "IFEO-Debugger     12\n", t);
        assertThrows(IllegalArgumentException.class, () -> new TextTable("a", "b").row("only one"));
    }

    @Test
    void percentilesAreNearestRankOverEverySample() {
        LatencySamples s = new LatencySamples(1);
        for (int i = 100; i >= 1; i--) {
            s.record(i * 1_000L);
        }
        LatencySamples.Summary sum = s.summary();
        assertEquals(100, sum.count());
        assertEquals(50_000, sum.p50());
        assertEquals(90_000, sum.p90());
        assertEquals(99_000, sum.p99());
        assertEquals(100_000, sum.max());
        assertEquals(1_000, sum.min());
        assertEquals(0, new LatencySamples(4).summary().count());
    }
}
