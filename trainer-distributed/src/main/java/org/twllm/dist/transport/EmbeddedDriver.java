package org.twllm.dist.transport;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;

/**
 * An Aeron media driver in this JVM, in its own unique directory that is deleted on close. One
 * SHARED agent thread with a backoff idle strategy: on a machine with few cores a spinning driver
 * would steal the CPU the training step needs. Timeouts are short so a dead peer or client is noticed
 * within about {@link TransportSettings#livenessTimeoutNs()}.
 */
public final class EmbeddedDriver implements AutoCloseable {
    private final MediaDriver driver;
    private final Path dir;

    private EmbeddedDriver(MediaDriver driver, Path dir) {
        this.driver = driver;
        this.dir = dir;
    }

    /** Sweeps stale driver directories, then starts a driver in a fresh one. */
    public static EmbeddedDriver launch(TransportSettings settings, String tag) {
        DriverDirectories.sweepStale(settings.driverBaseDir());
        Path dir = DriverDirectories.newUniqueDir(settings.driverBaseDir(), tag);
        long liveness = settings.livenessTimeoutNs();
        MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(dir.toString())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(IdleBackoff.newStrategy())
                .mtuLength(settings.mtu())
                .ipcMtuLength(settings.mtu())
                .publicationTermBufferLength(settings.termLength())
                .ipcTermBufferLength(settings.termLength())
                .socketSndbufLength(settings.socketBufferBytes())
                .socketRcvbufLength(settings.socketBufferBytes())
                .initialWindowLength(settings.socketBufferBytes())
                .timerIntervalNs(Math.min(liveness / 4, TimeUnit.MILLISECONDS.toNanos(100)))
                // A client is declared dead only after 5x liveness: its conductor thread may be starved for a
                // second on a saturated machine, and a dead process is seen sooner through its image.
                .clientLivenessTimeoutNs(5 * liveness)
                .imageLivenessTimeoutNs(liveness)
                .publicationConnectionTimeoutNs(liveness)
                .publicationUnblockTimeoutNs(6 * liveness)
                .publicationLingerTimeoutNs(liveness / 2)
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(10 * liveness))
                .warnIfDirectoryExists(false);
        return new EmbeddedDriver(MediaDriver.launch(ctx), dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        driver.close();
        DriverDirectories.deleteQuietly(dir);
    }
}
