package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** How long one readiness stage (or workflow phase) took. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageTiming(String stage, long millis) {}
