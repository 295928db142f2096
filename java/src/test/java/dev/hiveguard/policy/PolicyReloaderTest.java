package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyReloaderTest {

    private static final String GOOD_A = "<Sysmon><EventFiltering><RegistryEvent onmatch=\"include\" action=\"block\">"
            + "<Details>a</Details></RegistryEvent></EventFiltering></Sysmon>";
    private static final String GOOD_B = GOOD_A.replace("<Details>a</Details>", "<Details>b</Details>");
    private static final String BAD = "<Sysmon><EventFiltering>\n<RegistryEvent onmatch=\"include\">\n"
            + "<Details condition=\"resembles\">b</Details></RegistryEvent></EventFiltering></Sysmon>";

    @TempDir
    Path dir;

    private long stamp = 1_700_000_000_000L;

    /** Writes and moves the mtime forward, as a real edit would (filesystem granularity varies). */
    private void write(Path f, String text) throws Exception {
        Files.writeString(f, text, StandardCharsets.UTF_8);
        stamp += 10_000;
        Files.setLastModifiedTime(f, FileTime.fromMillis(stamp));
    }

    @Test
    void swapsToEachValidVersionKeepsThePreviousOnErrorAndNotifies() throws Exception {
        Path f = dir.resolve("policy.xml");
        write(f, GOOD_A);
        CompiledPolicy a = PolicyLoader.load(f);
        PolicyHolder holder = new PolicyHolder(a);
        List<String> changes = new ArrayList<>();
        PolicyReloader r = new PolicyReloader(f, holder, Duration.ofSeconds(1),
                (prev, cur) -> changes.add(prev.hash() + "->" + cur.hash()));
        assertFalse(r.checkNow(), "first look at an unchanged file: same policy, no swap");

        write(f, GOOD_B);
        assertTrue(r.checkNow());
        String bHash = holder.hash();
        assertNotEquals(a.hash(), bHash);
        assertEquals(List.of(a.hash() + "->" + bHash), changes);

        write(f, BAD);
        assertFalse(r.checkNow());
        assertEquals(bHash, holder.hash(), "an invalid file keeps the previous policy");
        assertEquals(1, r.lastErrors().size());
        assertEquals("policy.xml:3:32: unknown condition \"resembles\" (expected one of is, is not, is any, contains, "
                + "contains any, contains all, excludes, excludes any, excludes all, begin with, not begin with, end with, "
                + "not end with, less than, more than, image)", r.lastErrors().get(0).toString());

        Files.delete(f);
        assertFalse(r.checkNow());
        assertEquals(bHash, holder.hash(), "a missing file keeps the previous policy");

        write(f, GOOD_A);
        assertTrue(r.checkNow());
        assertEquals(a.hash(), holder.hash());
        assertTrue(r.lastErrors().isEmpty());
        assertEquals(2, changes.size());
    }

    @Test
    void aTouchWithoutChangeDoesNotReload() throws Exception {
        Path f = dir.resolve("p.xml");
        write(f, GOOD_A);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.load(f));
        PolicyReloader r = new PolicyReloader(f, holder, Duration.ofSeconds(1), (p, c) -> { throw new AssertionError("no swap"); });
        r.checkNow();
        Policy before = holder.current();
        write(f, GOOD_A);
        assertFalse(r.checkNow());
        write(f, GOOD_A.replace("><", ">  <"));
        assertFalse(r.checkNow(), "reformatted on the same lines: same effective policy, same hash");
        assertSame(before, holder.current());
    }

    @Test
    void pollsInTheBackgroundAndStopsOnClose() throws Exception {
        Path f = dir.resolve("bg.xml");
        write(f, GOOD_A);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.load(f));
        CountDownLatch swapped = new CountDownLatch(1);
        try (PolicyReloader r = new PolicyReloader(f, holder, Duration.ofMillis(20), (p, c) -> swapped.countDown())) {
            r.start();
            write(f, GOOD_B);
            assertTrue(swapped.await(10, TimeUnit.SECONDS), "the poller picked up the change");
        }
        // The executor reports termination a moment before its worker thread has fully exited.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pollerAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(pollerAlive(), "no poller thread left after close");
    }

    private static boolean pollerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("hiveguard-policy-reload") && t.isAlive());
    }

    /**
     * An Error escaping a poll (before: it cancelled the schedule silently and every later edit
     * was ignored) is logged, the policy in force stays, and the next edit is still picked up.
     */
    @Test
    void theBackgroundPollerSurvivesAnErrorAndKeepsReloading() throws Exception {
        Path f = dir.resolve("survive.xml");
        write(f, GOOD_A);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.load(f));
        List<String> swaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch second = new CountDownLatch(2);
        try (PolicyReloader r = new PolicyReloader(f, holder, Duration.ofMillis(20), (p, c) -> {
            swaps.add(c.hash());
            second.countDown();
            if (swaps.size() == 1) {
                throw new StackOverflowError("thrown by the test's listener");
            }
        })) {
            r.start();
            write(f, GOOD_B);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (swaps.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, swaps.size(), "the first edit was loaded");
            write(f, GOOD_A);
            assertTrue(second.await(10, TimeUnit.SECONDS), "an edit after the Error is still picked up");
            assertEquals(PolicyLoader.load(f).hash(), holder.hash());
        }
    }

    /** A hostile 6,000-character TargetObject is loaded by the background poller like any other. */
    @Test
    void aSixThousandCharacterTargetObjectReloads() throws Exception {
        Path f = dir.resolve("long.xml");
        write(f, GOOD_A);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.load(f));
        String path = "HKLM\\SOFTWARE\\" + "A".repeat(6_000);
        CountDownLatch swapped = new CountDownLatch(1);
        try (PolicyReloader r = new PolicyReloader(f, holder, Duration.ofMillis(20), (p, c) -> swapped.countDown())) {
            r.start();
            write(f, "<Sysmon><EventFiltering><RegistryEvent onmatch=\"include\" action=\"block\">"
                    + "<TargetObject condition=\"begin with\">" + path + "</TargetObject></RegistryEvent></EventFiltering></Sysmon>");
            assertTrue(swapped.await(10, TimeUnit.SECONDS), "the long policy was loaded: " + r.lastErrors());
        }
        assertEquals(Action.BLOCK, holder.decide(Policies.setString(path + "\\v", "C:\\x.exe", "x")).action());
    }

    @Test
    void decisionsDuringSwapsAlwaysSeeOneWholePolicy() throws Exception {
        CompiledPolicy a = Policies.of("<RegistryEvent onmatch=\"include\" action=\"block\"><Details name=\"A\">x</Details></RegistryEvent>");
        CompiledPolicy b = Policies.of("<RegistryEvent onmatch=\"include\" action=\"audit\"><Details name=\"B\">x</Details></RegistryEvent>");
        PolicyHolder holder = new PolicyHolder(a);
        var e = Policies.setString("HKLM\\SOFTWARE\\X\\v", "C:\\x.exe", "x");
        Thread swapper = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                holder.swap(i % 2 == 0 ? b : a);
            }
        });
        swapper.start();
        for (int i = 0; i < 200_000; i++) {
            Decision d = holder.decide(e);
            assertTrue(d.equals(Decision.of(Action.BLOCK, "A")) || d.equals(Decision.of(Action.AUDIT, "B")), d.toString());
        }
        swapper.join();
    }
}
