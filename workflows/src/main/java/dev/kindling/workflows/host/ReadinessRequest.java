package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Waits until {@code vm} serves a complete RFB handshake through websockify, or fails typed. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReadinessRequest(VmRef vm, long timeoutMillis) {}
