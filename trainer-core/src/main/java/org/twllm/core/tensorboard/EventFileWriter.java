package org.twllm.core.tensorboard;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.twllm.errors.TwllmException;

/**
 * One TensorBoard event file: TFRecord-framed {@code Event} protocol buffers (TensorFlow's
 * {@code event.proto}, {@code summary.proto}), encoded by {@link ProtoWriter} without a protobuf library.
 * The file opens with the {@code file_version} event; then scalar summaries, text summaries (the text
 * plugin's tensor of strings) and {@code SessionLog START} events follow.
 *
 * <p>File names are {@code events.out.tfevents.<seconds>.<host>.<pid>.0} as TensorFlow writes them.
 * TensorBoard reads the files of a directory in name order, so a new file's seconds are made larger than
 * those of every event file already there: a resumed run's file always comes after the one it continues.
 */
public final class EventFileWriter implements AutoCloseable {
    public static final String FILE_PREFIX = "events.out.tfevents.";
    static final String FILE_VERSION = "brain.Event:2";

    // event.proto: Event and SessionLog
    private static final int EVENT_WALL_TIME = 1;
    private static final int EVENT_STEP = 2;
    private static final int EVENT_FILE_VERSION = 3;
    private static final int EVENT_SUMMARY = 5;
    private static final int EVENT_SESSION_LOG = 7;
    private static final int SESSION_LOG_STATUS = 1;
    private static final int SESSION_LOG_START = 1;
    // summary.proto: Summary.value, Summary.Value, SummaryMetadata, SummaryMetadata.PluginData
    private static final int SUMMARY_VALUE = 1;
    private static final int VALUE_TAG = 1;
    private static final int VALUE_SIMPLE_VALUE = 2;
    private static final int VALUE_TENSOR = 8;
    private static final int VALUE_METADATA = 9;
    private static final int METADATA_PLUGIN_DATA = 1;
    private static final int METADATA_DATA_CLASS = 4;
    private static final int DATA_CLASS_TENSOR = 2;
    private static final int PLUGIN_NAME = 1;
    // tensor.proto / types.proto: TensorProto with a scalar shape and one DT_STRING value
    private static final int TENSOR_DTYPE = 1;
    private static final int TENSOR_SHAPE = 2;
    private static final int TENSOR_STRING_VAL = 8;
    private static final int DT_STRING = 7;

    private final Path file;
    private final TfRecordOutput out;
    private final ProtoWriter event = new ProtoWriter();
    private final ProtoWriter summary = new ProtoWriter();
    private final ProtoWriter value = new ProtoWriter();
    private final ProtoWriter nested = new ProtoWriter();
    private final ProtoWriter inner = new ProtoWriter();

    private EventFileWriter(Path file, TfRecordOutput out) {
        this.file = file;
        this.out = out;
    }

    /** Creates a new event file in {@code dir} (created if needed) and writes its {@code file_version} event. */
    public static EventFileWriter create(Path dir) throws IOException {
        Files.createDirectories(dir);
        long seconds = Math.max(System.currentTimeMillis() / 1000, newestFileSeconds(dir) + 1);
        Path file = dir.resolve(String.format(Locale.ROOT, "%s%010d.%s.%d.0", FILE_PREFIX, seconds, hostName(),
                ProcessHandle.current().pid()));
        EventFileWriter writer = new EventFileWriter(file, TfRecordOutput.create(file));
        writer.startEvent(0).string(EVENT_FILE_VERSION, FILE_VERSION);
        writer.writeEvent();
        writer.flush();
        return writer;
    }

    public Path file() {
        return file;
    }

    /** Adds a scalar to the summary that {@link #writeSummary} writes next. */
    public void scalar(String tag, double number) {
        value.reset().string(VALUE_TAG, tag).floatValue(VALUE_SIMPLE_VALUE, (float) number);
        summary.message(SUMMARY_VALUE, value);
    }

    /** Writes the scalars added since the last call as one event at {@code step}. */
    public void writeSummary(long step) {
        startEvent(step).message(EVENT_SUMMARY, summary);
        summary.reset();
        writeEvent();
    }

    /** A text-plugin summary (rendered as Markdown) at {@code step}, written with any scalars added before it. */
    public void text(long step, String tag, String markdown) {
        inner.reset().string(PLUGIN_NAME, "text"); // TextPluginData is left at its defaults (version 0)
        nested.reset().message(METADATA_PLUGIN_DATA, inner).varint(METADATA_DATA_CLASS, DATA_CLASS_TENSOR);
        value.reset().string(VALUE_TAG, tag).message(VALUE_METADATA, nested);
        inner.reset(); // a scalar: the shape has no dimensions
        nested.reset().varint(TENSOR_DTYPE, DT_STRING).message(TENSOR_SHAPE, inner)
                .bytes(TENSOR_STRING_VAL, markdown.getBytes(StandardCharsets.UTF_8));
        value.message(VALUE_TENSOR, nested);
        summary.message(SUMMARY_VALUE, value);
        writeSummary(step);
    }

    /**
     * {@code SessionLog{status: START}} at {@code step}: TensorBoard drops the events of earlier files with
     * this step or later, so a resumed run's steps replace the ones a crash left behind.
     */
    public void sessionStart(long step) {
        nested.reset().varint(SESSION_LOG_STATUS, SESSION_LOG_START);
        startEvent(step).message(EVENT_SESSION_LOG, nested);
        writeEvent();
    }

    /** Hands every event written so far to the operating system. */
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new TwllmException("cannot write the TensorBoard event file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new TwllmException("cannot close the TensorBoard event file " + file + ": " + e.getMessage(), e);
        }
    }

    private ProtoWriter startEvent(long step) {
        return event.reset().doubleValue(EVENT_WALL_TIME, System.currentTimeMillis() / 1000.0).varint(EVENT_STEP, step);
    }

    private void writeEvent() {
        try {
            out.write(event.buffer(), event.size());
        } catch (IOException e) {
            throw new TwllmException("cannot write the TensorBoard event file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The seconds field of the newest event file name in {@code dir}, or 0. */
    private static long newestFileSeconds(Path dir) throws IOException {
        long newest = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, FILE_PREFIX + "*")) {
            for (Path f : files) {
                String rest = f.getFileName().toString().substring(FILE_PREFIX.length());
                int dot = rest.indexOf('.');
                try {
                    newest = Math.max(newest, Long.parseLong(dot < 0 ? rest : rest.substring(0, dot)));
                } catch (NumberFormatException notOurs) {
                    // another tool's file with a different name layout: it does not constrain the order
                }
            }
        }
        return newest;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
