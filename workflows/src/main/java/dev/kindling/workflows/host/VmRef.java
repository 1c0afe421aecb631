package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Names one VM on its host: shared by {@code bootVm}'s compensation, readiness and diagnostics. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmRef(String requestId, String vmId, VmNetwork network) {}
