package org.twllm.progress;

import java.util.Locale;

/**
 * The progress of one piece of work ({@link ProgressOutput#start}): items and bytes done so far, shown as
 * {@code TASK: 12,345 documents, 2,100 documents/s, 45.2 / 120.0 MB, 7.7 MB/s, 38%, ETA 1m02s}, and on
 * {@link #close} a closing line with the total time when anything was shown. Updates are cheap (a clock
 * read) and come from one thread.
 */
public final class Progress implements AutoCloseable {
    private final ProgressOutput output;
    private final String task;
    private final String itemName;
    private final long totalBytes;
    private final long start;
    private long nextShow;
    private long items;
    private long bytes;
    private boolean shown;
    private int lastLength;

    Progress(ProgressOutput output, String task, String itemName, long totalBytes, long start) {
        this.output = output;
        this.task = task;
        this.itemName = itemName;
        this.totalBytes = totalBytes;
        this.start = start;
        this.nextShow = start + ProgressOutput.QUIET_NANOS;
    }

    /** Work whose progress is not shown. */
    public static Progress none() {
        return ProgressOutput.none().start("", null, 0);
    }

    /** Adds {@code moreItems} items and {@code moreBytes} bytes to what is done. */
    public void advance(long moreItems, long moreBytes) {
        update(items + moreItems, bytes + moreBytes);
    }

    /** Sets what is done so far: {@code doneItems} items and {@code doneBytes} bytes. */
    public void update(long doneItems, long doneBytes) {
        items = doneItems;
        bytes = doneBytes;
        if (output.silent()) {
            return;
        }
        long now = output.now();
        if (now >= nextShow) {
            show(line(now, false), false);
            nextShow = now + output.interval();
        }
    }

    /** Items done so far. */
    public long items() {
        return items;
    }

    /** Bytes done so far. */
    public long bytes() {
        return bytes;
    }

    /** Ends the work: a closing line (with the time taken) if a line was shown, else nothing. */
    @Override
    public void close() {
        if (shown) {
            show(line(output.now(), true), true);
        }
    }

    private void show(String line, boolean last) {
        if (output.live()) {
            String pad = " ".repeat(Math.max(0, lastLength - line.length()));
            output.print("\r" + line + pad + (last ? "\n" : ""));
            lastLength = line.length();
        } else {
            output.print(line + "\n");
        }
        shown = true;
    }

    String line(long now, boolean done) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        StringBuilder b = new StringBuilder(task).append(": ");
        if (itemName != null) {
            b.append(String.format(Locale.ROOT, "%,d %s, %,.0f %s/s, ", items, itemName, items / seconds, itemName));
        }
        b.append(String.format(Locale.ROOT, "%,.1f", bytes / 1e6));
        if (totalBytes > 0 && !done) {
            b.append(String.format(Locale.ROOT, " / %,.1f", totalBytes / 1e6));
        }
        b.append(String.format(Locale.ROOT, " MB, %,.1f MB/s", bytes / 1e6 / seconds));
        if (done) {
            b.append(", done in ").append(duration(seconds));
        } else if (totalBytes > 0) {
            double fraction = Math.min(1, (double) bytes / totalBytes);
            b.append(String.format(Locale.ROOT, ", %.0f%%", 100 * fraction));
            if (bytes > 0) {
                b.append(", ETA ").append(duration(seconds * Math.max(0, totalBytes - bytes) / bytes));
            }
        }
        return b.toString();
    }

    /** 42s, 3m05s, 2h07m (the one spelling of a duration in twllm's console lines; negative counts as 0s). */
    public static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
}
