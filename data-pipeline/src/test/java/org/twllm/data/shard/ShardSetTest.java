package org.twllm.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;

class ShardSetTest {
    private static final String FINGERPRINT = "a".repeat(64);

    @TempDir
    Path tmp;

    private static List<int[]> randomDocs(Random rnd, int count, int vocab, int maxLen) {
        List<int[]> docs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] d = new int[1 + rnd.nextInt(maxLen)];
            for (int j = 0; j < d.length; j++) {
                d[j] = rnd.nextInt(vocab);
            }
            docs.add(d);
        }
        return docs;
    }

    private static Path writeCpt(Path dir, List<int[]> docs, int vocab, long maxShardBytes) {
        try (ShardWriter w = ShardWriter.create(dir, ShardKind.CPT, FINGERPRINT, vocab, maxShardBytes, "inputs-1")) {
            for (int[] d : docs) {
                w.append(d);
            }
            w.finish();
        }
        return dir;
    }

    private static void assertSameDocuments(List<int[]> docs, ShardSet set) {
        assertEquals(docs.size(), set.numDocuments());
        long pos = 0;
        for (int i = 0; i < docs.size(); i++) {
            assertEquals(pos, set.documentStart(i), "start of document " + i);
            assertArrayEquals(docs.get(i), set.documentTokens(i), "document " + i);
            pos += docs.get(i).length;
        }
        assertEquals(pos, set.numTokens());
        assertEquals(pos, set.documentStart(docs.size()));
    }

    @Test
    void roundTripSingleShardUint16() {
        List<int[]> docs = randomDocs(new Random(1), 50, 8000, 40);
        ShardSet set = ShardSet.open(writeCpt(tmp.resolve("s"), docs, 8000, ShardWriter.DEFAULT_MAX_SHARD_BYTES), true);
        assertEquals(1, set.shardFiles().size());
        assertEquals("uint16", set.manifest().dtype());
        assertEquals(ShardKind.CPT, set.kind());
        assertFalse(set.hasLossMask());
        assertEquals("inputs-1", set.manifest().inputsFingerprint());
        assertSameDocuments(docs, set);
    }

    @Test
    void largeVocabularyUsesUint32AndKeepsHighIds() {
        int vocab = 70_000;
        List<int[]> docs = randomDocs(new Random(2), 30, vocab, 30);
        docs.add(new int[] {65535, 65536, 69_999, 0});
        ShardSet set = ShardSet.open(writeCpt(tmp.resolve("s"), docs, vocab, ShardWriter.DEFAULT_MAX_SHARD_BYTES), true);
        assertEquals("uint32", set.manifest().dtype());
        assertSameDocuments(docs, set);
        // 65535 is the largest id a uint16 shard holds: a vocabulary of 65535 ids still fits.
        assertEquals(2, ShardHeader.tokenBytesFor(65535));
        assertEquals(4, ShardHeader.tokenBytesFor(65536));
    }

    @Test
    void rollsIntoSeveralShardsAndReadsAcrossTheirBoundaries() {
        List<int[]> docs = randomDocs(new Random(3), 400, 8000, 60);
        ShardSet set = ShardSet.open(writeCpt(tmp.resolve("s"), docs, 8000, 4096), true);
        assertTrue(set.shardFiles().size() > 5, "expected several shards, got " + set.shardFiles());
        for (String f : set.shardFiles()) {
            assertTrue(Files.exists(tmp.resolve("s").resolve(f)));
        }
        assertSameDocuments(docs, set);
        // One read spanning every shard equals the concatenation.
        int[] all = new int[(int) set.numTokens()];
        set.readTokens(0, all, 0, all.length);
        int k = 0;
        for (int[] d : docs) {
            for (int t : d) {
                assertEquals(t, all[k++]);
            }
        }
        // A document bigger than the limit gets a shard of its own instead of failing.
        List<int[]> big = List.of(new int[] {1}, new int[5000], new int[] {2});
        ShardSet bigSet = ShardSet.open(writeCpt(tmp.resolve("big"), big, 8000, 4096));
        assertEquals(3, bigSet.shardFiles().size());
        assertSameDocuments(big, bigSet);
    }

    @Test
    void sftRoundTripKeepsTheLossMaskBitForBit() {
        Random rnd = new Random(4);
        List<int[]> docs = randomDocs(rnd, 120, 8000, 37);
        List<boolean[]> masks = new ArrayList<>();
        Path dir = tmp.resolve("sft");
        try (ShardWriter w = ShardWriter.create(dir, ShardKind.SFT, FINGERPRINT, 8000, 4096, "")) {
            for (int[] d : docs) {
                boolean[] m = new boolean[d.length];
                for (int j = 0; j < m.length; j++) {
                    m[j] = rnd.nextBoolean();
                }
                masks.add(m);
                w.append(d, m);
            }
            w.finish();
        }
        ShardSet set = ShardSet.open(dir, true);
        assertTrue(set.hasLossMask());
        assertSameDocuments(docs, set);
        boolean[] all = new boolean[(int) set.numTokens()];
        set.readLossMask(0, all, 0, all.length);
        int k = 0;
        for (boolean[] m : masks) {
            for (boolean b : m) {
                assertEquals(b, all[k++]);
            }
        }
        // A read starting mid-byte and mid-document.
        boolean[] part = new boolean[11];
        set.readLossMask(13, part, 0, 11);
        for (int i = 0; i < 11; i++) {
            assertEquals(all[13 + i], part[i]);
        }
    }

    @Test
    void sourcesNameTheirShardsAndRepeatSourceCopiesDocuments() {
        Path dir = tmp.resolve("mix");
        List<int[]> a = randomDocs(new Random(5), 10, 100, 5);
        try (ShardWriter w = ShardWriter.create(dir, ShardKind.CPT, FINGERPRINT, 100, 4096, "")) {
            w.beginSource("tang");
            a.forEach(w::append);
            w.repeatSource(10, i -> i % 2 == 0);
            assertEquals(15, w.documentsOfCurrentSource());
            w.repeatSource(10, i -> i == 9);
            assertThrows(IllegalArgumentException.class, () -> w.repeatSource(99, i -> false));
            assertEquals(16, w.documentsOfCurrentSource());
            w.beginSource("other");
            w.append(new int[] {7, 8});
            assertThrows(ConfigException.class, () -> w.beginSource("tang"));
            w.finish();
        }
        ShardSet set = ShardSet.open(dir, true);
        assertEquals(17, set.numDocuments());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(a.get(i), set.documentTokens(i));
        }
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(a.get(2 * i), set.documentTokens(10 + i));
        }
        assertEquals("tang", set.documentSource(0));
        assertArrayEquals(a.get(9), set.documentTokens(15));
        assertEquals("other", set.documentSource(16));
        assertTrue(set.shardFiles().contains("tang-00000.bin"));
        assertTrue(set.shardFiles().contains("other-00000.bin"));
    }

    @Test
    void sourceNamesThatAreNotFileNamesKeepTheirNameInTheManifest() {
        Path dir = tmp.resolve("names");
        try (ShardWriter w = ShardWriter.create(dir, ShardKind.CPT, FINGERPRINT, 100, 4096, "")) {
            w.beginSource("台灣新聞");
            w.append(new int[] {1});
            w.beginSource("天氣 報告");
            w.append(new int[] {2});
            w.finish();
        }
        ShardSet set = ShardSet.open(dir, true);
        assertEquals("台灣新聞", set.documentSource(0));
        assertEquals("天氣 報告", set.documentSource(1));
        assertEquals(2, set.shardFiles().stream().distinct().count());
        assertTrue(set.shardFiles().get(0).matches("src-[0-9a-f]{8}-00000\\.bin"), set.shardFiles().toString());
    }

    @Test
    void readsAcrossMappingWindowEdgesMatchOneWindow() {
        // 1 GiB windows in production; 8- to 64-byte windows here put every kind of value at a window edge.
        Random rnd = new Random(12);
        List<int[]> docs = randomDocs(rnd, 60, 70_000, 25);
        Path cpt = writeCpt(tmp.resolve("u32"), docs, 70_000, 4096);
        Path u16 = writeCpt(tmp.resolve("u16"), docs.stream().map(d -> java.util.Arrays.stream(d).map(t -> t % 8000).toArray()).toList(),
                8000, 4096);
        for (Path dir : List.of(cpt, u16)) {
            ShardSet whole = ShardSet.open(dir, true);
            for (int shift : new int[] {3, 4, 6}) {
                ShardSet windowed = ShardSet.open(dir, true, shift);
                assertEquals(whole.numDocuments(), windowed.numDocuments());
                for (long d = 0; d < whole.numDocuments(); d++) {
                    assertEquals(whole.documentStart(d), windowed.documentStart(d));
                    assertArrayEquals(whole.documentTokens(d), windowed.documentTokens(d));
                }
            }
        }
        Path sft = tmp.resolve("sft");
        boolean[] mask = new boolean[1000];
        int[] tokens = new int[1000];
        try (ShardWriter w = ShardWriter.create(sft, ShardKind.SFT, FINGERPRINT, 100, 1 << 20, "")) {
            for (int i = 0; i < mask.length; i++) {
                mask[i] = rnd.nextBoolean();
                tokens[i] = rnd.nextInt(100);
            }
            w.append(tokens, mask);
            w.finish();
        }
        ShardSet windowed = ShardSet.open(sft, true, 3);
        boolean[] read = new boolean[1000];
        windowed.readLossMask(0, read, 0, 1000);
        assertArrayEquals(mask, read);
        assertArrayEquals(tokens, windowed.documentTokens(0));
    }

    @Test
    void corruptByteIsFoundByVerify() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(6), 40, 8000, 30), 8000, 1 << 20);
        Path shard = dir.resolve("shard-00000.bin");
        flipByte(shard, 100);
        ShardSet.open(dir, false); // sizes and header still agree: the cheap checks pass
        ShardCorruptionException e = assertThrows(ShardCorruptionException.class, () -> ShardSet.open(dir));
        assertTrue(e.getMessage().contains("shard-00000.bin") && e.getMessage().contains("checksum")
                && e.getMessage().contains("twllm data prepare"), e.getMessage());
        assertEquals(shard, e.file());
    }

    @Test
    void aBodyIsVerifiedOncePerProcessAndAgainWhenItsFileChanges() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(13), 40, 8000, 30), 8000, 1 << 20);
        Path shard = dir.resolve("shard-00000.bin");
        ShardSet.open(dir);
        // Damage it behind the process's back, keeping size and modification time: the open is not read again...
        var modified = Files.getLastModifiedTime(shard);
        flipByte(shard, 120);
        Files.setLastModifiedTime(shard, modified);
        ShardSet set = ShardSet.open(dir);
        // ...but verify() always reads every byte.
        assertThrows(ShardCorruptionException.class, set::verify);
        // A file written since it was verified (a new modification time) is verified again.
        Files.setLastModifiedTime(shard, java.nio.file.attribute.FileTime.fromMillis(modified.toMillis() + 1000));
        assertThrows(ShardCorruptionException.class, () -> ShardSet.open(dir));
    }

    @Test
    void aTokenIdOutsideTheVocabularyNamesTheShardAndTheDocument() throws IOException {
        for (int vocab : new int[] {100, 70_000}) {
            Path dir = writeCpt(tmp.resolve("v" + vocab), List.of(new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {6, 7, 8, 9}),
                    vocab, 1 << 20);
            // A foreign writer put id `vocab` into document 2 (its token 1) and recorded matching checksums.
            rewriteToken(dir, "shard-00000.bin", 6, vocab);
            for (int shift : new int[] {3, MappedShard.DEFAULT_WINDOW_SHIFT}) {
                TwllmException e = assertThrows(TwllmException.class, () -> ShardSet.open(dir, true, shift));
                assertFalse(e instanceof ShardCorruptionException, "the checksums match: it is not corruption");
                assertTrue(e.getMessage().contains("shard-00000.bin") && e.getMessage().contains("document 2")
                        && e.getMessage().contains("token id " + vocab) && e.getMessage().contains("at its token 1")
                        && e.getMessage().contains("vocabulary of " + vocab), e.getMessage());
            }
            assertEquals(3, ShardSet.open(dir, false).numDocuments(), "the cheap checks alone pass");
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
    }

    /** Sets local token {@code index} of {@code file} to {@code id} and rewrites the header's and manifest's checksums to match. */
    private static void rewriteToken(Path dir, String file, long index, int id) throws IOException {
        Path path = dir.resolve(file);
        byte[] bytes = Files.readAllBytes(path);
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ShardHeader h = ShardHeader.decode(buffer).header();
        int at = (int) (h.tokensOffset() + index * h.tokenBytes());
        if (h.tokenBytes() == 2) {
            buffer.putShort(at, (short) id);
        } else {
            buffer.putInt(at, id);
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, ShardHeader.BYTES, bytes.length - ShardHeader.BYTES);
        ShardHeader fixed = new ShardHeader(h.tokenBytes(), h.hasLossMask(), h.vocabSize(), h.numTokens(), h.numDocuments(),
                (int) crc.getValue());
        fixed.encode().get(bytes, 0, ShardHeader.BYTES);
        Files.write(path, bytes);
        ShardManifest m = ShardManifest.read(dir);
        List<ShardManifest.Entry> entries = m.shards().stream().map(e -> !e.file().equals(file) ? e : new ShardManifest.Entry(
                e.file(), e.source(), e.tokens(), e.documents(), e.bytes(), ShardSet.formatChecksum(fixed.bodyCrc()))).toList();
        Files.write(dir.resolve(ShardManifest.FILE_NAME), new ShardManifest(m.kind(), m.tokenizerFingerprint(), m.vocabSize(),
                m.tokenBytes(), m.inputsFingerprint(), entries).toJson());
    }

    @Test
    void corruptHeaderIsRefusedOnOpen() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(7), 5, 8000, 30), 8000, 1 << 20);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("shard-00000.bin").toFile(), "rw")) {
            f.seek(26);
            f.write(0x7f);
        }
        TwllmException e = assertThrows(TwllmException.class, () -> ShardSet.open(dir));
        assertTrue(e.getMessage().contains("header checksum"), e.getMessage());
    }

    @Test
    void truncatedShardIsRefusedOnOpen() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(8), 40, 8000, 30), 8000, 1 << 20);
        Path shard = dir.resolve("shard-00000.bin");
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(f.length() - 9);
        }
        TwllmException e = assertThrows(TwllmException.class, () -> ShardSet.open(dir));
        assertTrue(e.getMessage().contains("shard-00000.bin") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingShardAndMissingManifestAreRefused() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(9), 200, 8000, 30), 8000, 4096);
        Files.delete(dir.resolve("shard-00001.bin"));
        TwllmException e = assertThrows(TwllmException.class, () -> ShardSet.open(dir));
        assertTrue(e.getMessage().contains("shard-00001.bin") && e.getMessage().contains("missing"), e.getMessage());

        ConfigException noManifest = assertThrows(ConfigException.class, () -> ShardSet.open(tmp.resolve("nowhere")));
        assertTrue(noManifest.getMessage().contains("twllm data prepare"), noManifest.getMessage());
        Files.createDirectories(tmp.resolve("empty"));
        assertThrows(ConfigException.class, () -> ShardSet.open(tmp.resolve("empty")));
    }

    @Test
    void manifestThatDisagreesWithAShardIsRefused() throws IOException {
        Path dir = writeCpt(tmp.resolve("s"), randomDocs(new Random(10), 20, 8000, 30), 8000, 1 << 20);
        Path manifest = dir.resolve(ShardManifest.FILE_NAME);
        String json = Files.readString(manifest);
        ShardSet ok = ShardSet.open(dir);
        String tokens = "\"tokens\" : " + ok.numTokens();
        Files.writeString(manifest, json.replace(tokens + ",\n    \"documents\"", "\"tokens\" : 1,\n    \"documents\""));
        TwllmException e = assertThrows(TwllmException.class, () -> ShardSet.open(dir));
        assertTrue(e.getMessage().contains("does not match the manifest"), e.getMessage());
    }

    @Test
    void tokenizerMismatchNamesBothFingerprints() {
        ShardSet set = ShardSet.open(writeCpt(tmp.resolve("s"), randomDocs(new Random(11), 3, 100, 5), 100, 1 << 20));
        set.requireTokenizer(FINGERPRINT);
        String other = "b".repeat(64);
        ConfigException e = assertThrows(ConfigException.class, () -> set.requireTokenizer(other));
        assertTrue(e.getMessage().contains(FINGERPRINT) && e.getMessage().contains(other)
                && e.getMessage().contains("data prepare"), e.getMessage());
    }

    @Test
    void tempFilesOfACrashedWriteAreNeverReadAndAreCleanedByTheNextWriter() throws IOException {
        Path dir = tmp.resolve("crash");
        ShardWriter crashed = ShardWriter.create(dir, ShardKind.CPT, FINGERPRINT, 100, 4096, "");
        crashed.append(new int[] {1, 2, 3});
        // The process dies here: the open shard exists only as a temporary sibling and there is no manifest.
        List<Path> temps;
        try (var files = Files.list(dir)) {
            temps = files.filter(AtomicFiles::isTemporary).toList();
        }
        assertEquals(1, temps.size(), "the open shard's temporary sibling");
        Path temp = temps.get(0);
        assertTrue(temp.getFileName().toString().startsWith(".shard-00000.bin."), temp.toString());
        assertThrows(ConfigException.class, () -> ShardSet.open(dir));

        try (ShardWriter again = ShardWriter.create(dir, ShardKind.CPT, FINGERPRINT, 100, 4096, "")) {
            assertFalse(Files.exists(temp), "stale temp file must be deleted");
            again.append(new int[] {4, 5});
            again.finish();
        }
        // A temp file appearing later (another crashed writer) is ignored by readers.
        Files.write(dir.resolve(".shard-00009.bin.tmp"), new byte[] {1, 2, 3});
        ShardSet set = ShardSet.open(dir, true);
        assertEquals(1, set.numDocuments());
        assertArrayEquals(new int[] {4, 5}, set.documentTokens(0));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(".shard-00009.bin.tmp", "manifest.json", "shard-00000.bin"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void writerRefusesBadInput() {
        try (ShardWriter w = ShardWriter.create(tmp.resolve("w"), ShardKind.CPT, FINGERPRINT, 100, 4096, "")) {
            assertThrows(IllegalArgumentException.class, () -> w.append(new int[] {100}));
            assertThrows(IllegalArgumentException.class, () -> w.append(new int[] {1}, new boolean[] {true}));
            assertThrows(ConfigException.class, () -> w.beginSource(" "));
        }
        try (ShardWriter w = ShardWriter.create(tmp.resolve("w2"), ShardKind.SFT, FINGERPRINT, 100, 4096, "")) {
            assertThrows(IllegalArgumentException.class, () -> w.append(new int[] {1}));
            assertThrows(IllegalArgumentException.class, () -> w.append(new int[] {1, 2}, new boolean[] {true}));
        }
        writeCpt(tmp.resolve("done"), List.of(new int[] {1}), 100, 4096);
        assertThrows(ConfigException.class, () -> ShardWriter.create(tmp.resolve("done"), ShardKind.CPT, FINGERPRINT, 100));
    }
}
