package dev.kindling.workflows.egress;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One request the egress proxy refused.
 *
 * @param atMillis when, in epoch milliseconds
 * @param host the host as the guest wrote it (cut to 253 characters, control characters replaced),
 *     or null when the request named none
 * @param port the port it asked for, or 0
 * @param status the HTTP status the guest received
 * @param reason the sentence the guest received, for example "example.com:443 is not allowed for
 *     this session"
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EgressRefusal(long atMillis, String host, int port, int status, String reason) {}
