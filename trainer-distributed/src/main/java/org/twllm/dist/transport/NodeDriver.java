package org.twllm.dist.transport;

import java.util.concurrent.CountDownLatch;

/**
 * A standalone media driver for one host, with twllm's settings (SHARED threading, backoff idle, short
 * liveness). Ranks of the host attach to it by setting {@code TWLLM_AERON_DIR} (or
 * {@code distributed.transport.media_driver: external} with {@code aeron_dir}) and then talk over IPC.
 * Prints {@code aeron_dir=<dir>} once ready; runs until killed; deletes its directory on exit.
 */
public final class NodeDriver {
    private NodeDriver() {
    }

    public static void main(String[] args) throws InterruptedException {
        EmbeddedDriver driver = EmbeddedDriver.launch(TransportSettings.defaults(), "node");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            driver.close();
            stopped.countDown();
        }));
        System.out.println("aeron_dir=" + driver.dir());
        System.out.flush();
        stopped.await();
    }
}
