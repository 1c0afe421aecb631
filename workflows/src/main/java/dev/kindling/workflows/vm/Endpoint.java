package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Where a ready VM's websockify is: the proxy on {@code hostId} opens a socket inside {@code
 * namespace} to {@code address:port}. The proxy connects nowhere a route did not name.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Endpoint(
    String sessionId,
    String hostId,
    String vmId,
    String namespace,
    String address,
    int port,
    String path) {}
