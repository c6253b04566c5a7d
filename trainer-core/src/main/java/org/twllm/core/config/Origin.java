package org.twllm.core.config;

/**
 * Where a config value came from: a line and column of a YAML file, or a {@code --set} argument.
 *
 * @param file   the file as shown to the user (null for --set)
 * @param line   1-based line
 * @param column 1-based column
 * @param setArg the whole --set argument, e.g. {@code training.learning_rate=abc} (null for a file)
 * @param setKey the key path the --set argument names (null for a file)
 */
record Origin(String file, int line, int column, String setArg, String setKey) {

    static Origin inFile(String file, int line, int column) {
        return new Origin(file, line, column, null, null);
    }

    static Origin fromSet(String setArg, String setKey) {
        return new Origin(null, 0, 0, setArg, setKey);
    }

    /** The message prefix naming this origin and {@code keyPath}, e.g. {@code a.yaml:3:5: run.seed}. */
    String describe(String keyPath) {
        if (setArg != null) {
            return keyPath == null || keyPath.equals(setKey) ? "--set " + setArg : "--set " + setArg + ": " + keyPath;
        }
        String where = file + ":" + line + ":" + column;
        return keyPath == null || keyPath.isEmpty() ? where : where + ": " + keyPath;
    }
}
