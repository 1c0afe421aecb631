package dev.kindling.workflows.cleanup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

@JsonIgnoreProperties(ignoreUnknown = true)
public record CleanupReport(int hosts, int vmsSeen, int live, int orphansDestroyed, int leasesEnded) {}
