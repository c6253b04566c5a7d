package org.twllm.dist.transport;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * The one idle strategy of drivers and collective loops: a spin, a few yields, then parking from 1 us
 * up to 1 ms. Never a busy spin: on a machine with few cores a spinning loop steals the CPU the
 * training step and the other ranks need.
 */
public final class IdleBackoff {
    private IdleBackoff() {
    }

    /** A new strategy (they hold state: one per polling loop). */
    public static BackoffIdleStrategy newStrategy() {
        return new BackoffIdleStrategy(1, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }
}
