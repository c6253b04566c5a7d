package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The start-up probe gives a plausible GEMM rate, and never one below the rate of a size it tried. */
class PeakFlopsProbeTest {
    @Test
    void thePeakIsAPlausibleRateAndTheBestOfItsSizes() {
        double small = PeakFlopsProbe.measure(PeakFlopsProbe.SIZES[0], 0.02);
        double peak = PeakFlopsProbe.measure(0.05);
        // one CPU core does at least 1e8 fp32 FLOP/s; no machine this runs on does 1e14 in fp32 on its cores
        assertTrue(small > 1e8 && small < 1e14, "512^3 rate " + small);
        assertTrue(peak > 1e8 && peak < 1e14, "peak " + peak);
        // the peak is the fastest product of any size, so it is at least the fastest 512^3 product of its own run;
        // the separate run above may catch a faster moment, hence the margin
        assertTrue(peak > 0.3 * small, "peak " + peak + " against 512^3 alone " + small);
    }
}
