package dev.kindling.workflows.cleanup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param foreign VMs left alone because another Temporal deployment owns them
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CleanupReport(
    int hosts, int vmsSeen, int live, int orphansDestroyed, int leasesEnded, int foreign) {}
