package dev.kindling.workflows.egress;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A VM's egress as its host counted it: what the session may reach and what its guest did.
 *
 * @param rules the allow-list in force ({@link EgressRule#toString()} form); a host's later reports
 *     of a VM leave it empty, for the workflow to keep the first
 * @param openConnections connections through the egress proxy open now
 * @param connections connections the proxy let through since the VM started
 * @param refusals requests it refused since the VM started
 * @param bytesFromGuest bytes the guest sent out through allowed connections
 * @param bytesToGuest bytes that came back to the guest
 * @param lastRefusals the latest refusals, oldest first (at most {@link #LAST_REFUSALS})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EgressReport(
    List<String> rules,
    int openConnections,
    long connections,
    long refusals,
    long bytesFromGuest,
    long bytesToGuest,
    List<EgressRefusal> lastRefusals) {
  public static final int LAST_REFUSALS = 10;

  public EgressReport {
    rules = rules == null ? List.of() : List.copyOf(rules);
    lastRefusals = lastRefusals == null ? List.of() : List.copyOf(lastRefusals);
  }

  public EgressReport withRules(List<String> value) {
    return new EgressReport(
        value, openConnections, connections, refusals, bytesFromGuest, bytesToGuest, lastRefusals);
  }

  /** Before the guest did anything. */
  public static EgressReport of(EgressPolicy policy) {
    return new EgressReport(
        policy.rules().stream().map(EgressRule::toString).toList(), 0, 0, 0, 0, 0, List.of());
  }
}
