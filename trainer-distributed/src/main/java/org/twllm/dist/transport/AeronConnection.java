package org.twllm.dist.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.Aeron;

/**
 * This process's Aeron client, attached either to a driver it embeds (the default: one per rank) or
 * to an external driver directory shared by the ranks of a node (then neighbours on the node talk over
 * IPC). Errors Aeron reports on its own threads (driver timeout, a rejected channel) are kept so the
 * collective loop can fail with them instead of hanging.
 */
public final class AeronConnection implements AutoCloseable {
    private final EmbeddedDriver embedded;
    private final Aeron aeron;
    private final String driverId;
    private final AtomicReference<Throwable> asyncError = new AtomicReference<>();

    private AeronConnection(EmbeddedDriver embedded, Path dir, TransportSettings settings) {
        this.embedded = embedded;
        Aeron.Context ctx = new Aeron.Context()
                .aeronDirectoryName(dir.toString())
                .idleStrategy(IdleBackoff.newStrategy())
                .keepAliveIntervalNs(settings.livenessTimeoutNs() / 4)
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(10 * settings.livenessTimeoutNs()))
                .errorHandler(e -> asyncError.compareAndSet(null, e));
        this.aeron = Aeron.connect(ctx);
        this.driverId = hostName() + ":" + dir.toAbsolutePath().normalize();
    }

    /** Connects to the external driver of {@code settings}, or embeds a new driver tagged {@code tag}. */
    public static AeronConnection open(TransportSettings settings, String tag) {
        if (settings.externalDriverDir() != null) {
            return new AeronConnection(null, settings.externalDriverDir(), settings);
        }
        EmbeddedDriver driver = EmbeddedDriver.launch(settings, tag);
        try {
            return new AeronConnection(driver, driver.dir(), settings);
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
    }

    public Aeron aeron() {
        return aeron;
    }

    /** Identifies the driver: two ranks with equal ids share it and can use IPC. */
    public String driverId() {
        return driverId;
    }

    /** The first error Aeron reported on its own threads, or null. */
    public Throwable asyncError() {
        return asyncError.get();
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    @Override
    public void close() {
        aeron.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
