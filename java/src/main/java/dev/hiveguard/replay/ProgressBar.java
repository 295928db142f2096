package dev.hiveguard.replay;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar redrawn in place on stderr (carriage return, no newline until the
 * end), so it never mixes into the report on stdout or into a redirected log.
 */
final class ProgressBar {

    private static final int WIDTH = 40;
    /** Redraws per second: smooth enough to watch, cheap enough to ignore. */
    private static final long REDRAW_MS = 200;

    private final PrintStream out;
    private final long total;
    private final LongSupplier done;
    private final long startNanos = System.nanoTime();
    private Thread thread;

    ProgressBar(PrintStream out, long total, LongSupplier done) {
        this.out = out;
        this.total = total;
        this.done = done;
    }

    void start() {
        thread = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    draw();
                    Thread.sleep(REDRAW_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hiveguard-replay-progress");
        thread.setDaemon(true);
        thread.start();
    }

    void finish() throws InterruptedException {
        thread.interrupt();
        thread.join();
        draw();
        out.println();
        out.flush();
    }

    private void draw() {
        out.print("\r" + line(done.getAsLong(), total, (System.nanoTime() - startNanos) / 1e9));
        out.flush();
    }

    static String line(long done, long total, double seconds) {
        double fraction = total == 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        return String.format(Locale.ROOT, "replay [%s%s] %d/%d %3.0f%% %.0f events/s", "#".repeat(filled),
                " ".repeat(WIDTH - filled), done, total, fraction * 100, seconds > 0 ? done / seconds : 0.0);
    }
}
