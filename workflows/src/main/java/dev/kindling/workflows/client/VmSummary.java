package dev.kindling.workflows.client;

import java.time.Instant;

/**
 * One browser VM workflow as visibility lists it (search attributes may lag the workflow slightly).
 */
public record VmSummary(
    String sessionId,
    String workflowId,
    String runId,
    String status,
    String hostId,
    String imageId,
    String template,
    String phase,
    Instant startedAt) {}
