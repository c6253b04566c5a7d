package org.twllm.progress;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * Where the progress of long work goes and how: a live line redrawn with {@code \r} on a terminal, plain
 * lines every {@link #LINE_INTERVAL_NANOS} otherwise (logs, Slurm output), or nowhere. Work that ends
 * within {@link #QUIET_NANOS} prints nothing. Shared by {@code data prepare}, {@code export} and
 * checkpoint saves.
 */
public final class ProgressOutput {
    /** Nothing is shown before work has run this long. */
    public static final long QUIET_NANOS = 2_000_000_000L;
    /** A terminal's live line is redrawn this often. */
    public static final long LIVE_INTERVAL_NANOS = 500_000_000L;
    /** Without a terminal, one line this often. */
    public static final long LINE_INTERVAL_NANOS = 10_000_000_000L;

    private static final ProgressOutput NONE = new ProgressOutput(null, false, System::nanoTime);

    private final PrintStream out;
    private final boolean live;
    private final LongSupplier clock;

    /**
     * @param out   where lines go (null: nowhere)
     * @param live  a terminal: one line redrawn in place
     * @param clock nanoseconds, as {@link System#nanoTime}
     */
    public ProgressOutput(PrintStream out, boolean live, LongSupplier clock) {
        this.out = out;
        this.live = live;
        this.clock = clock;
    }

    /** Shows nothing. */
    public static ProgressOutput none() {
        return NONE;
    }

    /** Standard error: live when the process runs on a terminal, plain periodic lines otherwise. */
    public static ProgressOutput console() {
        return new ProgressOutput(System.err, System.console() != null, System::nanoTime);
    }

    /**
     * Starts tracking one piece of work.
     *
     * @param task       what the line starts with, e.g. {@code data prepare}
     * @param itemName   what items are counted (e.g. {@code documents}), or null to count bytes only
     * @param totalBytes the bytes the work will get through (for the percentage and ETA), or 0 when unknown
     */
    public Progress start(String task, String itemName, long totalBytes) {
        return new Progress(this, task, itemName, totalBytes, clock.getAsLong());
    }

    long now() {
        return clock.getAsLong();
    }

    boolean silent() {
        return out == null;
    }

    boolean live() {
        return live;
    }

    long interval() {
        return live ? LIVE_INTERVAL_NANOS : LINE_INTERVAL_NANOS;
    }

    void print(String text) {
        out.print(text);
        out.flush();
    }
}
