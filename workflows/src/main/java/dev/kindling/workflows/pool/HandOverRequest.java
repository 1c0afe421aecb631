package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmRef;

/**
 * @param network the pool's network request, now naming the session and its egress
 * @param launch what the session's app receives; null for nothing
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HandOverRequest(
    VmRef vm, NetworkRequest network, ImageRef image, long timeoutMillis, Launch launch) {}
