package org.twllm.serve;

/**
 * A request the API refuses: the HTTP status and the OpenAI error shape's {@code type}, {@code code}
 * and {@code param}, with a message that names the thing and what to do.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String code;
    final String param;
    /** Seconds for a Retry-After header, or 0 for none. */
    final int retryAfterSeconds;

    private ApiException(int status, String type, String code, String param, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", "invalid_value", param, message, 0);
    }

    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", code, param, message, 0);
    }

    static ApiException unauthorized(String message) {
        return new ApiException(401, "authentication_error", "invalid_api_key", null, message, 0);
    }

    static ApiException forbidden(String message) {
        return new ApiException(403, "permission_error", "forbidden", null, message, 0);
    }

    static ApiException notFound(String param, String code, String message) {
        return new ApiException(404, "not_found_error", code, param, message, 0);
    }

    static ApiException methodNotAllowed(String method, String path, String allowed) {
        return new ApiException(405, "invalid_request_error", "method_not_allowed", null,
                method + " is not supported on " + path + ": use " + allowed, 0);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", "request_too_large", null, message, 0);
    }

    static ApiException unsupportedMediaType(String message) {
        return new ApiException(415, "invalid_request_error", "unsupported_media_type", null, message, 0);
    }

    static ApiException busy(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", "queue_full", null, message, retryAfterSeconds);
    }

    static ApiException internal(String message) {
        return new ApiException(500, "server_error", "internal_error", null, message, 0);
    }
}
