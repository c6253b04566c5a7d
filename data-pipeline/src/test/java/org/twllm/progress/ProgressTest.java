package org.twllm.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long S = 1_000_000_000L;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private long now;

    private ProgressOutput output(boolean live) {
        return new ProgressOutput(new PrintStream(printed, true, StandardCharsets.UTF_8), live, () -> now);
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void workThatEndsWithinTheQuietPeriodPrintsNothing() {
        for (boolean live : new boolean[] {false, true}) {
            now = 0;
            try (Progress p = output(live).start("data prepare", "documents", 1_000_000)) {
                for (int i = 1; i <= 100; i++) {
                    now = i * 19_000_000L; // 1.9 s in all
                    p.advance(1, 10_000);
                }
            }
            assertEquals("", printed());
        }
    }

    @Test
    void withoutATerminalAPlainLineEveryTenSecondsAndAClosingLine() {
        now = 0;
        try (Progress p = output(false).start("data prepare", "documents", 20_000_000)) {
            now = S;
            p.update(50, 2_000_000);
            assertEquals("", printed());
            now = 2 * S;
            p.update(100, 5_000_000);
            now = 5 * S;
            p.update(300, 8_000_000); // within 10 s of the last line: not shown
            now = 12 * S;
            p.update(1_200, 15_000_000);
            now = 20 * S;
            p.update(2_000, 20_000_000);
        }
        assertEquals("data prepare: 100 documents, 50 documents/s, 5.0 / 20.0 MB, 2.5 MB/s, 25%, ETA 6s\n"
                + "data prepare: 1,200 documents, 100 documents/s, 15.0 / 20.0 MB, 1.3 MB/s, 75%, ETA 4s\n"
                + "data prepare: 2,000 documents, 100 documents/s, 20.0 MB, 1.0 MB/s, done in 20s\n", printed());
    }

    @Test
    void onATerminalOneLiveLineRedrawnInPlace() {
        now = 0;
        try (Progress p = output(true).start("checkpoint-00000100", null, 3_000_000_000L)) {
            now = 3 * S;
            p.advance(0, 1_500_000_000L);
            now = 3 * S + S / 4; // within half a second: not redrawn
            p.advance(0, 100_000_000L);
            now = 4 * S;
            p.advance(0, 400_000_000L);
            now = 200 * S;
            p.advance(0, 1_000_000_000L);
        }
        String first = "checkpoint-00000100: 1,500.0 / 3,000.0 MB, 500.0 MB/s, 50%, ETA 3s";
        String second = "checkpoint-00000100: 2,000.0 / 3,000.0 MB, 500.0 MB/s, 67%, ETA 2s";
        String third = "checkpoint-00000100: 3,000.0 / 3,000.0 MB, 15.0 MB/s, 100%, ETA 0s";
        String done = "checkpoint-00000100: 3,000.0 MB, 15.0 MB/s, done in 3m20s";
        assertEquals("\r" + first + "\r" + second + "\r" + third + "\r" + done + " ".repeat(third.length() - done.length()) + "\n",
                printed());
    }

    @Test
    void durationsReadAsSecondsMinutesOrHours() {
        assertEquals("42s", Progress.duration(42.2));
        assertEquals("3m05s", Progress.duration(185));
        assertEquals("2h07m", Progress.duration(2 * 3600 + 7 * 60 + 30));
    }

    @Test
    void nothingGoesNowhere() {
        now = 0;
        try (Progress p = ProgressOutput.none().start("export", null, 10)) {
            p.advance(0, 10);
        }
        assertEquals("", printed());
    }
}
