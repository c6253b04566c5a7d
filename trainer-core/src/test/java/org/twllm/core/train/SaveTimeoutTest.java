package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Issue 12 §6: a save's barriers wait as long as the save may take, sized to what rank 0 writes and reads. */
class SaveTimeoutTest {
    private static final long COLLECTIVE = TimeUnit.SECONDS.toNanos(30);

    @Test
    void theTimeoutIsTheCollectiveTimeoutPlusAMinutePlusTheBytesAt100MiBPerSecond() {
        long tiny = TrainingCheckpoints.saveTimeoutNs(4_646_592, 1, COLLECTIVE);
        assertEquals(TimeUnit.SECONDS.toNanos(91), tiny, "4.6M parameters: 149 MB written and read back, 1 s at 100 MiB/s");
        long llama7b = TrainingCheckpoints.saveTimeoutNs(6_738_415_616L, 8, COLLECTIVE);
        double minutes = llama7b / 60e9;
        // 27 GB of model + a 10 GB optimizer range (fp32 master weights and two moments) written, then 27 + 81 GB read
        // back for the checksums: 145 GB at 100 MiB/s is 23 min, plus the collective timeout and a minute.
        assertTrue(minutes > 24 && minutes < 25, minutes + " min");
        assertTrue(TrainingCheckpoints.saveTimeoutNs(6_738_415_616L, 1, COLLECTIVE) > llama7b, "one rank writes all the moments");
    }
}
