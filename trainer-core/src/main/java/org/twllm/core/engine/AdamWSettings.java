package org.twllm.core.engine;

/** AdamW's hyper-parameters (HF names: adam_beta1, adam_beta2, adam_epsilon, weight_decay). */
public record AdamWSettings(double beta1, double beta2, double epsilon, double weightDecay) {
    public AdamWSettings {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW needs 0 <= betas < 1, epsilon > 0, weight_decay >= 0");
        }
    }
}
