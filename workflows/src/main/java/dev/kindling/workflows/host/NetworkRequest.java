package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * Shared by {@code createNetwork} and its compensation {@code deleteNetwork}.
 *
 * @param sessionId the session the VM serves, or null for a VM no session uses (a canary); only a
 *     session's VM gets egress
 * @param egress the session's egress allow-list ({@link dev.kindling.workflows.egress.EgressRule}
 *     entries), or null for its template's default
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NetworkRequest(String requestId, String vmId, String sessionId, List<String> egress) {

  /** The network of a VM that serves no session, and so has no egress. */
  public NetworkRequest(String requestId, String vmId) {
    this(requestId, vmId, null, null);
  }
}
