package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Shared by {@code createNetwork} and its compensation {@code deleteNetwork}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NetworkRequest(String requestId, String vmId) {}
