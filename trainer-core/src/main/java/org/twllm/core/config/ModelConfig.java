package org.twllm.core.config;

import java.nio.file.Path;

/**
 * Where the weights come from.
 *
 * @param init         absolute path of an HF Llama directory (config.json + safetensors) or a twllm
 *                     checkpoint directory; null for random initialisation
 * @param architecture the dimensions for random initialisation; null when {@code init} is a path
 */
public record ModelConfig(Path init, ModelArchitecture architecture) {

    public boolean isRandomInit() {
        return init == null;
    }
}
