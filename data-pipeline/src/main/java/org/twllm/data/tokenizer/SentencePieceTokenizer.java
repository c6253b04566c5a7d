package org.twllm.data.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

import org.twllm.errors.ConfigException;

/**
 * A SentencePiece tokenizer read from a {@code .model} file, encoding and decoding exactly as SentencePiece's
 * {@code SentencePieceProcessor} does (ids only, no sampling): normalization (identity, or the precompiled
 * rules of nmt_nfkc and the like), dummy prefix, whitespace escaping, BPE or Unigram segmentation, byte fallback
 * to {@code <0xNN>} pieces,
 * unknown pieces otherwise. Thread-safe; scratch buffers are per thread.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final int[] NO_IDS = new int[0];

    private final SentencePieceModel model;
    private final PieceIndex index;
    private final TextNormalizer normalizer;
    private final Segmenter segmenter;
    private final boolean byteFallback;
    private final boolean[] unknown;
    private final String fingerprint;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final int padId;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private SentencePieceTokenizer(SentencePieceModel model, String fingerprint) {
        this.model = model;
        this.fingerprint = fingerprint;
        this.index = new PieceIndex(model);
        UserSymbolMatcher userSymbols = UserSymbolMatcher.of(index.userDefinedSymbols());
        this.normalizer = new TextNormalizer(model.normalizerSpec(), model.trainerSpec().treatWhitespaceAsSuffix(), userSymbols);
        this.segmenter = switch (model.trainerSpec().modelType()) {
            case BPE -> new BpeSegmenter(model, index, userSymbols);
            case UNIGRAM -> new UnigramSegmenter(model, index, userSymbols);
            default -> throw new IllegalStateException("checked in load");
        };
        this.byteFallback = model.trainerSpec().byteFallback();
        this.unknown = new boolean[model.size()];
        for (int id = 0; id < model.size(); id++) {
            unknown[id] = model.type(id) == PieceType.UNKNOWN;
        }
        SentencePieceModel.TrainerSpec trainer = model.trainerSpec();
        this.unkId = index.unkId();
        this.bosId = controlIdOf(trainer.bosPiece());
        this.eosId = controlIdOf(trainer.eosPiece());
        this.padId = controlIdOf(trainer.padPiece());
    }

    /** As SentencePieceProcessor::bos_id() etc.: the id of the named piece if it is a control piece, else -1. */
    private int controlIdOf(String piece) {
        int id = index.pieceToId(piece);
        return model.type(id) == PieceType.CONTROL ? id : -1;
    }

    /**
     * Reads a SentencePiece {@code .model} file.
     *
     * @throws ConfigException if the file is missing, is not a SentencePiece model, or uses a feature this
     *     implementation cannot reproduce exactly (a denormalizer, WORD or CHAR models)
     */
    public static SentencePieceTokenizer load(Path modelFile) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(modelFile);
        } catch (NoSuchFileException e) {
            throw new ConfigException("tokenizer model " + modelFile + " does not exist; pass the path of a SentencePiece .model file.");
        } catch (IOException e) {
            throw new ConfigException("tokenizer model " + modelFile + " cannot be read: " + e.getMessage());
        }
        SentencePieceModel model;
        try {
            model = SentencePieceModel.parse(bytes);
        } catch (ProtoReader.MalformedProtoException e) {
            throw notAModel(modelFile, e);
        }
        SentencePieceModel.ModelType type = model.trainerSpec().modelType();
        if (type != SentencePieceModel.ModelType.BPE && type != SentencePieceModel.ModelType.UNIGRAM) {
            throw new ConfigException(modelFile + " is a SentencePiece " + type + " model; only BPE and UNIGRAM models are supported.");
        }
        SentencePieceModel.NormalizerSpec denormalizer = model.denormalizerSpec();
        if (denormalizer != null && denormalizer.precompiledCharsmap().length > 0) {
            throw new ConfigException(modelFile + " has a denormalizer character map, which is not supported.");
        }
        try {
            return new SentencePieceTokenizer(model, sha256Hex(bytes));
        } catch (ProtoReader.MalformedProtoException e) {
            throw notAModel(modelFile, e);
        }
    }

    private static ConfigException notAModel(Path modelFile, ProtoReader.MalformedProtoException e) {
        return new ConfigException(modelFile + " is not a SentencePiece model: " + e.getMessage() + ".");
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The parsed model (pieces, scores, types and specs). */
    public SentencePieceModel model() {
        return model;
    }

    @Override
    public int[] encode(String text) {
        Scratch s = scratch.get();
        normalizer.normalize(text, s.raw, s.unit, s.normalized);
        if (s.normalized.length == 0) {
            return NO_IDS;
        }
        segmenter.segment(s.normalized.chars, s.normalized.length, s.segments);
        return toIds(s.normalized.chars, s.segments, s);
    }

    /** Applies byte fallback to unknown pieces, or merges runs of unknown pieces into one, as SentencePiece does. */
    private int[] toIds(char[] text, Segments segments, Scratch s) {
        int[] ids = s.ids;
        int n = 0;
        boolean prevUnknown = false;
        for (int k = 0; k < segments.count; k++) {
            int id = segments.ids[k];
            boolean isUnknown = unknown[id];
            if (isUnknown && byteFallback) {
                if (ids.length < n + 4 * segments.lengths[k]) {
                    ids = Arrays.copyOf(ids, Math.max(ids.length * 2, n + 4 * segments.lengths[k]));
                }
                n = appendByteIds(text, segments.starts[k], segments.starts[k] + segments.lengths[k], ids, n);
            } else if (!(isUnknown && prevUnknown)) {
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, n * 2);
                }
                ids[n++] = id;
            }
            prevUnknown = isUnknown;
        }
        s.ids = ids;
        return Arrays.copyOf(ids, n);
    }

    private int appendByteIds(char[] text, int start, int end, int[] ids, int n) {
        for (int k = start; k < end; k++) {
            int cp = text[k];
            if (Character.isHighSurrogate(text[k]) && k + 1 < end && Character.isLowSurrogate(text[k + 1])) {
                cp = Character.toCodePoint(text[k], text[++k]);
            }
            if (cp < 0x80) {
                ids[n++] = index.byteId(cp);
            } else if (cp < 0x800) {
                ids[n++] = index.byteId(0xC0 | cp >> 6);
                ids[n++] = index.byteId(0x80 | cp & 0x3F);
            } else if (cp < 0x10000) {
                ids[n++] = index.byteId(0xE0 | cp >> 12);
                ids[n++] = index.byteId(0x80 | cp >> 6 & 0x3F);
                ids[n++] = index.byteId(0x80 | cp & 0x3F);
            } else {
                ids[n++] = index.byteId(0xF0 | cp >> 18);
                ids[n++] = index.byteId(0x80 | cp >> 12 & 0x3F);
                ids[n++] = index.byteId(0x80 | cp >> 6 & 0x3F);
                ids[n++] = index.byteId(0x80 | cp & 0x3F);
            }
        }
        return n;
    }

    /**
     * Decodes as SentencePieceProcessor::Decode: pieces joined with "▁" as space, the dummy-prefix space of the
     * first piece removed, runs of byte pieces decoded as UTF-8 (each invalid byte as U+FFFD), control pieces
     * dropped, the unknown piece as the model's unk surface (" ⁇ " by default).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length * 2);
        SentencePieceModel.NormalizerSpec spec = model.normalizerSpec();
        boolean stripsBosSpace = spec.addDummyPrefix() || spec.removeExtraWhitespaces();
        byte[] pending = new byte[16];
        int pendingCount = 0;
        boolean isBosWs = true;
        boolean bosWsSeen = false;
        for (int id : ids) {
            if (id < 0 || id >= model.size()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + model.size() + ")");
            }
            int b = index.byteValue(id);
            if (b >= 0) {
                if (pendingCount == pending.length) {
                    pending = Arrays.copyOf(pending, pendingCount * 2);
                }
                pending[pendingCount++] = (byte) b;
                continue;
            }
            Utf8.decodeLikeSentencePiece(pending, pendingCount, text);
            pendingCount = 0;
            if (bosWsSeen || text.length() > 0) {
                isBosWs = false;
            }
            PieceType type = model.type(id);
            bosWsSeen = false;
            if (type == PieceType.UNKNOWN) {
                text.append(model.trainerSpec().unkSurface());
            } else if (type != PieceType.CONTROL) {
                String piece = model.piece(id);
                int from = 0;
                if (isBosWs && stripsBosSpace && piece.charAt(0) == TextNormalizer.SPACE_SYMBOL) {
                    from = 1;
                    bosWsSeen = !spec.removeExtraWhitespaces();
                }
                for (int k = from; k < piece.length(); k++) {
                    char c = piece.charAt(k);
                    text.append(c == TextNormalizer.SPACE_SYMBOL ? ' ' : c);
                }
            }
        }
        Utf8.decodeLikeSentencePiece(pending, pendingCount, text);
        return text.toString();
    }

    @Override
    public String piece(int id) {
        return model.piece(id);
    }

    @Override
    public int vocabSize() {
        return model.size();
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int unkId() {
        return unkId;
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Per-thread buffers of the encode path. */
    private static final class Scratch {
        final GrowableChars raw = new GrowableChars();
        final TextNormalizer.Unit unit = new TextNormalizer.Unit();
        final GrowableChars normalized = new GrowableChars();
        final Segments segments = new Segments();
        int[] ids = new int[256];
    }
}
