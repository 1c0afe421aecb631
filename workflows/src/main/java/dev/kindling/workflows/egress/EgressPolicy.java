package dev.kindling.workflows.egress;

import dev.kindling.workflows.InvalidInputException;
import java.util.List;
import java.util.Optional;

/**
 * What a VM's browser may reach: default deny, then each {@link EgressRule}. Names only; the
 * addresses a name resolves to are checked on the host against its deny-list, so an allowed name
 * that points into a private range is still refused there.
 */
public record EgressPolicy(List<EgressRule> rules) {
  public static final int MAX_RULES = 256;
  public static final EgressPolicy DENY_ALL = new EgressPolicy(List.of());

  public EgressPolicy {
    rules = List.copyOf(rules);
    if (rules.size() > MAX_RULES) {
      throw new InvalidInputException("egress", "at most " + MAX_RULES + " entries");
    }
  }

  /** Parses a backend's entries ({@link EgressRule#parse}); null or empty allows nothing. */
  public static EgressPolicy parse(List<String> entries) {
    if (entries == null || entries.isEmpty()) {
      return DENY_ALL;
    }
    if (entries.size() > MAX_RULES) {
      throw new InvalidInputException("egress", "at most " + MAX_RULES + " entries");
    }
    return new EgressPolicy(entries.stream().map(EgressRule::parse).toList());
  }

  /** The rule that lets {@code host} (as the client wrote it) be reached on {@code port}. */
  public Optional<EgressRule> allowing(String host, int port) {
    Optional<String> canonical = HostNames.canonical(host);
    if (canonical.isEmpty()) {
      return Optional.empty();
    }
    return rules.stream().filter(r -> r.matches(canonical.get(), port)).findFirst();
  }
}
