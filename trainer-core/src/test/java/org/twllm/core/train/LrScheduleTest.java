package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.TrainingConfig.LrScheduler;
import org.twllm.errors.ConfigException;

class LrScheduleTest {
    private static final double TOL = 1e-15;

    @Test
    void warmupRisesLinearlyFromTheFirstStep() {
        LrSchedule s = new LrSchedule(LrScheduler.COSINE, 1e-3, 1e-4, 10, 110);
        assertEquals(1e-4, s.lr(1), TOL);
        assertEquals(5e-4, s.lr(5), TOL);
        assertEquals(1e-3, s.lr(10), TOL);
    }

    @Test
    void cosineReachesMinLrAtTheLastStepAndHalfwayIsTheMidpoint() {
        LrSchedule s = new LrSchedule(LrScheduler.COSINE, 1e-3, 1e-4, 10, 110);
        assertEquals(0.5 * (1e-3 + 1e-4), s.lr(60), TOL);
        assertEquals(1e-4, s.lr(110), TOL);
        assertEquals(1e-4, s.lr(500), TOL);
        // a quarter of the way: min + (peak - min) * (1 + cos(pi/4)) / 2
        assertEquals(1e-4 + 9e-4 * (1 + Math.sqrt(0.5)) / 2, s.lr(35), 1e-12);
    }

    @Test
    void linearDecaysInAStraightLine() {
        LrSchedule s = new LrSchedule(LrScheduler.LINEAR, 2e-5, 0.0, 0, 100);
        assertEquals(2e-5 * 99 / 100, s.lr(1), TOL);
        assertEquals(1e-5, s.lr(50), TOL);
        assertEquals(0.0, s.lr(100), TOL);
    }

    @Test
    void constantStaysAtPeakAfterWarmup() {
        LrSchedule s = new LrSchedule(LrScheduler.CONSTANT, 3e-4, 0.0, 4, 100);
        assertEquals(0.75 * 3e-4, s.lr(3), TOL);
        assertEquals(3e-4, s.lr(4), TOL);
        assertEquals(3e-4, s.lr(100), TOL);
    }

    @Test
    void badSettingsAreConfigErrors() {
        assertThrows(ConfigException.class, () -> new LrSchedule(LrScheduler.LINEAR, 1e-4, 1e-3, 0, 10));
    }
}
