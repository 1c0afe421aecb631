package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Where a VM runs: its host and the task queue only that host's worker polls. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Placement(String hostId, String taskQueue, ImageRef image) {}
