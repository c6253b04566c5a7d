package org.twllm.core.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event files as TensorBoard reads them, checked by {@link EventFileDecoder} (which shares no code with the writer). */
class EventFileWriterTest {
    @Test
    void theDecodersCrcIsCastagnolis() {
        assertEquals(0xE3069283, EventFileDecoder.crc32c("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0xa282ead8 + 0, TfRecordOutput.mask(0), "masking zero leaves the delta");
    }

    @Test
    void eventsDecodeWithTheirFramingCrcsAndFields(@TempDir Path dir) throws Exception {
        long before = System.currentTimeMillis() / 1000;
        Path file;
        try (EventFileWriter w = EventFileWriter.create(dir)) {
            file = w.file();
            w.sessionStart(7);
            w.text(7, "run/config", "```yaml\nstage: cpt\nname: 臺灣\n```");
            w.scalar("run/loss", 2.5);
            w.scalar("run/lr", 3.0e-4);
            w.writeSummary(7);
            w.scalar("run/loss", Double.NaN);
            w.writeSummary(300_000_000_000L);
        }
        assertTrue(file.getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\..+\\.\\d+\\.0"), file.toString());
        List<EventFileDecoder.Event> events = EventFileDecoder.read(file);
        assertEquals(5, events.size());

        EventFileDecoder.Event version = events.get(0);
        assertEquals("brain.Event:2", version.fileVersion());
        assertEquals(0, version.step());
        assertTrue(version.wallTime() >= before && version.wallTime() < before + 60, "wall_time in seconds: " + version.wallTime());

        assertEquals(Integer.valueOf(1), events.get(1).sessionStatus(), "SessionLog START");
        assertEquals(7, events.get(1).step());

        EventFileDecoder.Value text = events.get(2).values().get(0);
        assertEquals("run/config", text.tag());
        assertEquals("text", text.pluginName());
        assertEquals(Long.valueOf(2), text.dataClass(), "DATA_CLASS_TENSOR");
        assertEquals(Long.valueOf(7), text.tensorDtype(), "DT_STRING");
        assertEquals(Integer.valueOf(0), text.tensorDims(), "a scalar string tensor");
        assertEquals(List.of("```yaml\nstage: cpt\nname: 臺灣\n```"), text.strings());
        assertNull(text.simpleValue());

        List<EventFileDecoder.Value> scalars = events.get(3).values();
        assertEquals(7, events.get(3).step());
        assertEquals(List.of("run/loss", "run/lr"), scalars.stream().map(EventFileDecoder.Value::tag).toList());
        assertEquals(2.5f, scalars.get(0).simpleValue());
        assertEquals(3.0e-4f, scalars.get(1).simpleValue());
        assertEquals(300_000_000_000L, events.get(4).step(), "steps are int64 varints");
        assertTrue(Float.isNaN(events.get(4).values().get(0).simpleValue()));

        // Both CRCs are checked: a flipped bit in the data, or in the length, is caught.
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 1;
        Files.write(file, bytes);
        assertThrows(IllegalStateException.class, () -> EventFileDecoder.read(file));
        bytes[bytes.length - 6] ^= 1;
        bytes[0] ^= 1;
        Files.write(file, bytes);
        IllegalStateException length = assertThrows(IllegalStateException.class, () -> EventFileDecoder.read(file));
        assertTrue(length.getMessage().contains("length"), length.getMessage());
    }

    @Test
    void aNewFileSortsAfterEveryEventFileAlreadyThere(@TempDir Path dir) throws Exception {
        long future = System.currentTimeMillis() / 1000 + 1000;
        Path earlier = dir.resolve("events.out.tfevents." + future + ".zzz-host.99999.0");
        Files.createFile(earlier);
        Files.createFile(dir.resolve("events.out.tfevents.profile-empty")); // another tool's name layout
        try (EventFileWriter w = EventFileWriter.create(dir)) {
            assertTrue(w.file().getFileName().toString().startsWith("events.out.tfevents." + (future + 1) + "."), w.file().toString());
            List<Path> order = EventFileDecoder.files(dir);
            assertTrue(order.indexOf(w.file()) > order.indexOf(earlier), order.toString());
        }
    }
}
