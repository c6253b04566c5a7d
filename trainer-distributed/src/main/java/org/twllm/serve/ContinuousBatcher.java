package org.twllm.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.engine.Decoder;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.engine.KvCache;
import org.twllm.core.generate.ReplyText;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.core.generate.TokenSampler;
import org.twllm.data.tokenizer.Tokenizer;

/**
 * Continuous batching: one thread runs every admitted request together, one forward step at a time.
 * Each step stacks, per running sequence, either the next chunk of its prompt (prefill, at most
 * {@link #PREFILL_CHUNK} prompt tokens per step over all sequences, so a long prompt does not stall
 * the others' decoding) or the token it sampled last; sequences join as soon as a slot is free and
 * leave the moment they finish or their client disconnects, without waiting for the rest of the batch.
 *
 * <p>Each slot keeps its KV cache after its sequence ends. A new request takes the free slot whose
 * cache shares the longest prefix with its prompt (the same conversation's next turn), and only the
 * rest of its prompt is run. At most {@code maxConcurrent} requests run and {@code maxQueue} wait;
 * {@link #submit} refuses more.
 */
final class ContinuousBatcher implements AutoCloseable {
    static final int PREFILL_CHUNK = 256;
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousBatcher.class);
    private static final long IDLE_POLL_MILLIS = 200;

    /** Counts for /health. */
    record Stats(int running, int queued, long completed, long cancelled, long rejected) {
    }

    private final Decoder decoder;
    private final Tokenizer tokenizer;
    private final int maxQueue;
    private final KvCache[] caches;
    /** Per slot, the sequence it runs, or null; touched by the batcher thread only. */
    private final Sequence[] slots;
    private final LinkedBlockingQueue<GenerationJob> waiting = new LinkedBlockingQueue<>();
    /** Jobs submitted and not yet finished, cancelled or failed (running plus waiting). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    /** Moving average of a request's seconds from admission to its end, for Retry-After. */
    private volatile double meanSeconds = 1;
    private final Thread thread;
    private volatile boolean closed;

    private ContinuousBatcher(Decoder decoder, Tokenizer tokenizer, int contextLength, int maxConcurrent, int maxQueue) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.maxQueue = maxQueue;
        this.caches = new KvCache[maxConcurrent];
        for (int i = 0; i < maxConcurrent; i++) {
            caches[i] = decoder.newCache(contextLength);
        }
        this.slots = new Sequence[maxConcurrent];
        this.thread = new Thread(this::loop, "twllm-batcher");
        thread.setDaemon(true);
    }

    /** A batcher whose sequences hold at most {@code contextLength} tokens, its thread started. */
    static ContinuousBatcher start(Decoder decoder, Tokenizer tokenizer, int contextLength, int maxConcurrent, int maxQueue) {
        ContinuousBatcher batcher = new ContinuousBatcher(decoder, tokenizer, contextLength, maxConcurrent, maxQueue);
        batcher.thread.start();
        return batcher;
    }

    /**
     * Queues a generation after {@code prompt} (shorter than the context, with room for
     * {@code settings.maxNewTokens()}; the caller checks). Refused with 429 when the batch and the queue are full.
     */
    GenerationJob submit(int[] prompt, SamplingSettings settings) {
        int limit = slots.length + maxQueue;
        while (true) {
            int n = inFlight.get();
            if (closed) {
                throw ApiException.internal("the server is shutting down");
            }
            if (n >= limit) {
                rejected.incrementAndGet();
                throw ApiException.busy("the server is busy: " + slots.length + " requests are being answered and " + maxQueue
                        + " are waiting; retry after the seconds in Retry-After", Math.max(1, (int) Math.ceil(meanSeconds)));
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                break;
            }
        }
        GenerationJob job = new GenerationJob(prompt, settings, this::withdraw);
        waiting.add(job);
        return job;
    }

    Stats stats() {
        return new Stats(running.get(), waiting.size(), completed.get(), cancelled.get(), rejected.get());
    }

    /** Stops the thread; requests still running or waiting fail with a message saying so. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A cancelled job still waiting leaves the queue at once (a running one leaves at the next step). */
    private void withdraw(GenerationJob job) {
        if (waiting.remove(job)) {
            cancelled.incrementAndGet();
            inFlight.decrementAndGet();
        }
    }

    private void loop() {
        try {
            while (!closed) {
                admitWaiting();
                if (running.get() == 0) {
                    GenerationJob job = waiting.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                    if (job != null) {
                        admit(job);
                    }
                    continue;
                }
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failAll("the server is shutting down");
        }
    }

    private void admitWaiting() {
        while (running.get() < slots.length) {
            GenerationJob job = waiting.poll();
            if (job == null) {
                return;
            }
            admit(job);
        }
    }

    /** Puts {@code job} in the free slot whose cache shares the longest prefix with its prompt. */
    private void admit(GenerationJob job) {
        if (job.isCancelled()) {
            cancelled.incrementAndGet();
            inFlight.decrementAndGet();
            return;
        }
        int best = -1;
        int bestShared = -1;
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] == null) {
                int shared = caches[s].sharedPrefix(job.prompt);
                if (shared > bestShared) {
                    best = s;
                    bestShared = shared;
                }
            }
        }
        caches[best].truncate(bestShared);
        slots[best] = new Sequence(job, best, bestShared);
        running.incrementAndGet();
    }

    /** One forward over every running sequence's next tokens, then one sampled token for each that finished its prompt. */
    private void step() {
        List<Sequence> batch = new ArrayList<>(slots.length);
        List<int[]> tokens = new ArrayList<>(slots.length);
        int prefillBudget = PREFILL_CHUNK;
        for (Sequence seq : slots) {
            if (seq == null) {
                continue;
            }
            if (seq.job.isCancelled()) {
                release(seq);
                cancelled.incrementAndGet();
                continue;
            }
            int[] next = seq.nextTokens(prefillBudget);
            if (next.length == 0) {
                continue;
            }
            if (seq.prefilling()) {
                prefillBudget -= next.length;
            }
            batch.add(seq);
            tokens.add(next);
            seq.advance(next.length);
        }
        if (batch.isEmpty()) {
            return;
        }
        KvCache[] batchCaches = new KvCache[batch.size()];
        for (int i = 0; i < batchCaches.length; i++) {
            batchCaches[i] = caches[batch.get(i).slot];
        }
        float[][] logits;
        try {
            logits = decoder.forwardLast(batchCaches, tokens.toArray(new int[0][]));
        } catch (RuntimeException e) {
            LOG.error("generation step failed", e);
            for (Sequence seq : batch) {
                fail(seq, "generation failed: " + e.getMessage());
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Sequence seq = batch.get(i);
            if (!seq.prefilling()) {
                seq.accept(logits[i]);
            }
        }
    }

    private void release(Sequence seq) {
        slots[seq.slot] = null;
        running.decrementAndGet();
        inFlight.decrementAndGet();
    }

    private void fail(Sequence seq, String message) {
        // The cache may hold a partial step: forget it rather than offer it as a prefix.
        caches[seq.slot].reset();
        release(seq);
        seq.job.emit(new GenerationJob.Failed(message));
    }

    private void failAll(String message) {
        for (Sequence seq : slots) {
            if (seq != null) {
                fail(seq, message);
            }
        }
        for (GenerationJob job; (job = waiting.poll()) != null; ) {
            inFlight.decrementAndGet();
            job.emit(new GenerationJob.Failed(message));
        }
    }

    /** A job in a slot: its prompt's progress through prefill, its sampler and its reply text. */
    private final class Sequence {
        final GenerationJob job;
        final int slot;
        final int reused;
        private final TokenSampler sampler;
        private final ReplyText reply;
        private final long admitted = System.nanoTime();
        private long firstToken;
        /** Prompt tokens handed to the model so far (the reused prefix counts as handed). */
        private int promptDone;
        private int lastToken = -1;

        Sequence(GenerationJob job, int slot, int reused) {
            this.job = job;
            this.slot = slot;
            this.reused = reused;
            this.promptDone = reused;
            this.sampler = new TokenSampler(job.settings);
            this.reply = new ReplyText(tokenizer, job.settings.stopSequences(), job.settings.maxNewTokens());
        }

        boolean prefilling() {
            return promptDone < job.prompt.length;
        }

        /** What this sequence runs next step: up to {@code budget} prompt tokens, or its last sampled token. */
        int[] nextTokens(int budget) {
            if (!prefilling()) {
                return new int[] {lastToken};
            }
            int n = Math.min(budget, job.prompt.length - promptDone);
            return java.util.Arrays.copyOfRange(job.prompt, promptDone, promptDone + n);
        }

        void advance(int ran) {
            if (prefilling()) {
                promptDone += ran;
            }
        }

        /** Samples from the logits after the last token run and reports text, or the end. */
        void accept(float[] logits) {
            if (firstToken == 0) {
                firstToken = System.nanoTime();
            }
            int token = sampler.next(logits);
            if (token == tokenizer.eosId()) {
                finish(GenerationResult.StopReason.EOS);
                return;
            }
            String piece = reply.append(token);
            if (reply.stopped()) {
                finish(GenerationResult.StopReason.STOP_SEQUENCE);
                return;
            }
            if (!piece.isEmpty()) {
                job.emit(new GenerationJob.Text(piece));
            }
            if (reply.tokenCount() == job.settings.maxNewTokens()) {
                finish(GenerationResult.StopReason.MAX_NEW_TOKENS);
            } else if (caches[slot].length() == caches[slot].capacity()) {
                finish(GenerationResult.StopReason.CONTEXT_FULL);
            } else {
                lastToken = token;
            }
        }

        private void finish(GenerationResult.StopReason reason) {
            long end = System.nanoTime();
            String rest = reply.rest();
            if (!rest.isEmpty()) {
                job.emit(new GenerationJob.Text(rest));
            }
            release(this);
            completed.incrementAndGet();
            meanSeconds = 0.8 * meanSeconds + 0.2 * (end - admitted) / 1e9;
            job.emit(new GenerationJob.Finished(new GenerationResult(reply.tokens(), reply.text(), reason, job.prompt.length,
                    reused, (firstToken - admitted) / 1e9, (end - firstToken) / 1e9)));
        }
    }
}
