package org.twllm.data.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece's BPE segmentation (bpe_model.cc): start from one symbol per character (user-defined
 * symbols whole and frozen), then repeatedly merge the adjacent pair whose concatenation is a piece with
 * the highest score, the leftmost pair on ties, until no adjacent pair forms a piece. Pieces of type
 * UNUSED are split back into the two symbols they were merged from.
 *
 * <p>Instead of hashing concatenated strings as SentencePiece does, symbols carry ids and a precomputed
 * table maps (left id, right id) to the merged piece. Every string a merge can involve has an id: each
 * mergeable piece, plus a "virtual" id for each character that occurs inside some piece without being a
 * piece itself, so the table answers exactly what the string lookup would.
 */
final class BpeSegmenter implements Segmenter {
    private static final int NO_SYMBOL = -1;
    /** The shortest range a long text is cut into (see {@link #segment}). */
    private static final int MIN_RANGE = 64;

    private final PieceIndex index;
    private final UserSymbolMatcher userSymbols;
    private final int[] bmpSymbol = new int[Character.MAX_VALUE + 1];
    private final Map<Integer, Integer> supplementarySymbol = new HashMap<>();
    /** Symbol id to the id SentencePiece outputs for its string (reserved pieces win, as in PieceToId). */
    private final int[] outputId;
    /** Symbol id to its length in chars. */
    private final int[] symbolLength;
    private final float[] score;
    private final boolean[] unused;
    private final LongIntHashMap merges;
    /** Adjacent code point pairs that occur inside some mergeable piece; null when texts must not be cut. */
    private final LongIntHashMap pairsInsidePieces;
    private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

    BpeSegmenter(SentencePieceModel model, PieceIndex index, UserSymbolMatcher userSymbols) {
        this.index = index;
        this.userSymbols = userSymbols;
        int vocabSize = model.size();
        Arrays.fill(bmpSymbol, NO_SYMBOL);
        for (int id = 0; id < vocabSize; id++) {
            String piece = model.piece(id);
            if (model.type(id).isMergeable() && piece.codePointCount(0, piece.length()) == 1) {
                setSymbolOf(piece.codePointAt(0), id);
            }
        }
        List<String> virtualSymbols = new ArrayList<>();
        for (int id = 0; id < vocabSize; id++) {
            String piece = model.piece(id);
            if (!model.type(id).isMergeable()) {
                continue;
            }
            for (int k = 0; k < piece.length(); k += Character.charCount(piece.codePointAt(k))) {
                int cp = piece.codePointAt(k);
                if (symbolOf(cp) == NO_SYMBOL) {
                    setSymbolOf(cp, vocabSize + virtualSymbols.size());
                    virtualSymbols.add(new String(Character.toChars(cp)));
                }
            }
        }
        int symbolCount = vocabSize + virtualSymbols.size();
        outputId = new int[symbolCount];
        symbolLength = new int[symbolCount];
        score = new float[vocabSize];
        unused = new boolean[vocabSize];
        for (int sym = 0; sym < symbolCount; sym++) {
            String s = sym < vocabSize ? model.piece(sym) : virtualSymbols.get(sym - vocabSize);
            outputId[sym] = index.pieceToId(s);
            symbolLength[sym] = s.length();
        }
        merges = new LongIntHashMap(vocabSize * 2);
        pairsInsidePieces = hasUnusedPieces(model) ? null : adjacentCodePointPairs(model);
        for (int id = 0; id < vocabSize; id++) {
            score[id] = model.score(id);
            unused[id] = model.type(id) == PieceType.UNUSED;
            String piece = model.piece(id);
            if (!model.type(id).isMergeable()) {
                continue;
            }
            int first = Character.charCount(piece.codePointAt(0));
            for (int k = first; k < piece.length(); k += Character.charCount(piece.codePointAt(k))) {
                int left = symbolOfString(piece.substring(0, k));
                int right = symbolOfString(piece.substring(k));
                if (left != NO_SYMBOL && right != NO_SYMBOL) {
                    merges.put(pair(left, right), id);
                }
            }
        }
    }

    private static boolean hasUnusedPieces(SentencePieceModel model) {
        for (int id = 0; id < model.size(); id++) {
            if (model.type(id) == PieceType.UNUSED) {
                return true;
            }
        }
        return false;
    }

    private static LongIntHashMap adjacentCodePointPairs(SentencePieceModel model) {
        LongIntHashMap pairs = new LongIntHashMap(model.size() * 4);
        for (int id = 0; id < model.size(); id++) {
            if (!model.type(id).isMergeable()) {
                continue;
            }
            String piece = model.piece(id);
            int prev = -1;
            for (int k = 0; k < piece.length(); k += Character.charCount(piece.codePointAt(k))) {
                int cp = piece.codePointAt(k);
                if (prev >= 0) {
                    pairs.put(codePointPair(prev, cp), 1);
                }
                prev = cp;
            }
        }
        return pairs;
    }

    private static long codePointPair(int first, int second) {
        return (long) first << 21 | second;
    }

    private int symbolOfString(String s) {
        int id = index.mergeableId(s);
        if (id >= 0) {
            return id;
        }
        return s.codePointCount(0, s.length()) == 1 ? symbolOf(s.codePointAt(0)) : NO_SYMBOL;
    }

    private int symbolOf(int codePoint) {
        if (codePoint <= Character.MAX_VALUE) {
            return bmpSymbol[codePoint];
        }
        return supplementarySymbol.getOrDefault(codePoint, NO_SYMBOL);
    }

    private void setSymbolOf(int codePoint, int symbol) {
        if (codePoint <= Character.MAX_VALUE) {
            bmpSymbol[codePoint] = symbol;
        } else {
            supplementarySymbol.put(codePoint, symbol);
        }
    }

    private static long pair(int left, int right) {
        return (long) left << 32 | right;
    }

    /**
     * Long texts are cut into ranges of at least {@value #MIN_RANGE} chars at boundaries between two code points
     * that no piece contains side by side: no merge can cross such a boundary, so merging each range on its own
     * gives exactly the result of merging the whole text, with small, cache-friendly agendas. (Not done for
     * models with UNUSED pieces, whose splitting in SentencePiece depends on the whole text.)
     */
    @Override
    public void segment(char[] text, int length, Segments out) {
        out.clear();
        Work w = work.get();
        if (pairsInsidePieces == null || length <= 2 * MIN_RANGE) {
            segmentRange(text, 0, length, w, out);
            return;
        }
        int rangeStart = 0;
        int prev = Character.codePointAt(text, 0, length);
        for (int pos = Character.charCount(prev); pos < length; ) {
            int cp = Character.codePointAt(text, pos, length);
            if (pos - rangeStart >= MIN_RANGE && length - pos >= MIN_RANGE
                    && pairsInsidePieces.get(codePointPair(prev, cp), 0) == 0) {
                segmentRange(text, rangeStart, pos, w, out);
                rangeStart = pos;
            }
            prev = cp;
            pos += Character.charCount(cp);
        }
        segmentRange(text, rangeStart, length, w, out);
    }

    /** BPE over {@code text[from, to)}, appending its pieces to {@code out}. */
    private void segmentRange(char[] text, int from, int to, Work w, Segments out) {
        w.reset(to - from);
        int count = 0;
        for (int pos = from; pos < to; ) {
            int unit = userSymbols == null ? 0 : userSymbols.match(text, pos, to);
            int symbol;
            boolean frozen = unit > 0;
            if (frozen) {
                symbol = index.mergeableId(new String(text, pos, unit));
            } else {
                char c = text[pos];
                if (Character.isHighSurrogate(c) && pos + 1 < to && Character.isLowSurrogate(text[pos + 1])) {
                    unit = 2;
                    symbol = symbolOf(Character.toCodePoint(c, text[pos + 1]));
                } else {
                    unit = 1;
                    symbol = bmpSymbol[c];
                }
            }
            w.symbol[count] = symbol;
            w.start[count] = pos;
            w.length[count] = unit;
            w.frozen[count] = frozen;
            w.prev[count] = count - 1;
            w.next[count] = count + 1;
            count++;
            pos += unit;
        }
        w.next[count - 1] = -1;

        for (int i = 1; i < count; i++) {
            maybeAddPair(w, i - 1, i);
        }
        while (w.heapSize > 0) {
            int p = w.pop();
            int left = w.pairLeft[p];
            int right = w.pairRight[p];
            // Stale: one side was merged away or has grown since this pair was queued.
            if (w.length[left] == 0 || w.length[right] == 0 || w.length[left] + w.length[right] != w.pairLength[p]) {
                continue;
            }
            w.symbol[left] = w.pairMerged[p];
            w.length[left] += w.length[right];
            w.length[right] = 0;
            int after = w.next[right];
            w.next[left] = after;
            if (after >= 0) {
                w.prev[after] = left;
            }
            maybeAddPair(w, w.prev[left], left);
            maybeAddPair(w, left, after);
        }

        for (int i = 0; i != -1; i = w.next[i]) {
            emit(w, text, w.symbol[i], w.start[i], w.length[i], out);
        }
    }

    private void maybeAddPair(Work w, int left, int right) {
        if (left < 0 || right < 0 || w.frozen[left] || w.frozen[right]) {
            return;
        }
        int a = w.symbol[left];
        int b = w.symbol[right];
        if (a == NO_SYMBOL || b == NO_SYMBOL) {
            return;
        }
        int merged = merges.get(pair(a, b), NO_SYMBOL);
        if (merged == NO_SYMBOL) {
            return;
        }
        w.push(score[merged], left, right, w.length[left] + w.length[right], merged);
        if (unused[merged]) {
            // SentencePiece records the split of an unused piece when the pair is queued (last one wins).
            w.unusedSplits.put(merged, pair(a, b));
        }
    }

    private void emit(Work w, char[] text, int symbol, int start, int length, Segments out) {
        if (symbol == NO_SYMBOL) {
            out.add(index.pieceToId(new String(text, start, length)), start, length);
            return;
        }
        if (symbol < unused.length && unused[symbol]) {
            Long split = w.unusedSplits.get(symbol);
            if (split != null) {
                int left = (int) (split >>> 32);
                int right = (int) (long) split;
                emit(w, text, left, start, symbolLength[left], out);
                emit(w, text, right, start + symbolLength[left], symbolLength[right], out);
                return;
            }
        }
        out.add(outputId[symbol], start, length);
    }

    /** Per-thread working arrays: the symbol list and the agenda (a max-heap of candidate merges). */
    private static final class Work {
        int[] symbol = new int[0];
        int[] start = new int[0];
        int[] length = new int[0];
        int[] prev = new int[0];
        int[] next = new int[0];
        boolean[] frozen = new boolean[0];

        long[] pairKey = new long[64];
        int[] pairLeft = new int[64];
        int[] pairRight = new int[64];
        int[] pairLength = new int[64];
        int[] pairMerged = new int[64];
        int pairCount;
        int[] heap = new int[64];
        int heapSize;
        final Map<Integer, Long> unusedSplits = new HashMap<>();

        void reset(int textLength) {
            if (symbol.length < textLength) {
                int capacity = Math.max(textLength, symbol.length * 2);
                symbol = new int[capacity];
                start = new int[capacity];
                length = new int[capacity];
                prev = new int[capacity];
                next = new int[capacity];
                frozen = new boolean[capacity];
            }
            pairCount = 0;
            heapSize = 0;
            if (!unusedSplits.isEmpty()) {
                unusedSplits.clear();
            }
        }

        /** Queues a candidate merge; higher score first, then the smaller left index. */
        void push(float pairScore, int left, int right, int mergedLength, int merged) {
            if (pairCount == pairKey.length) {
                int capacity = pairCount * 2;
                pairKey = Arrays.copyOf(pairKey, capacity);
                pairLeft = Arrays.copyOf(pairLeft, capacity);
                pairRight = Arrays.copyOf(pairRight, capacity);
                pairLength = Arrays.copyOf(pairLength, capacity);
                pairMerged = Arrays.copyOf(pairMerged, capacity);
                heap = Arrays.copyOf(heap, capacity);
            }
            int p = pairCount++;
            pairKey[p] = (long) sortableBits(pairScore) << 32 | (~left & 0xFFFFFFFFL);
            pairLeft[p] = left;
            pairRight[p] = right;
            pairLength[p] = mergedLength;
            pairMerged[p] = merged;
            int i = heapSize++;
            long key = pairKey[p];
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (pairKey[heap[parent]] >= key) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = p;
        }

        int pop() {
            int top = heap[0];
            int last = heap[--heapSize];
            long key = pairKey[last];
            int i = 0;
            int half = heapSize >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                int sibling = child + 1;
                if (sibling < heapSize && pairKey[heap[sibling]] > pairKey[heap[child]]) {
                    child = sibling;
                }
                if (key >= pairKey[heap[child]]) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }

        /** Float bits mapped to an int whose signed order is the float order (-0 and +0 compare equal, as in C++). */
        private static int sortableBits(float f) {
            int bits = Float.floatToIntBits(f == 0f ? 0f : f);
            return bits ^ ((bits >> 31) & 0x7FFFFFFF);
        }
    }
}
