package dev.kindling.activities.readiness;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The guest agent's {@code GET /health} answer. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentHealth(boolean ready, boolean vncConfigured, Map<String, String> units) {
  public AgentHealth {
    units = units == null ? Map.of() : Map.copyOf(units);
  }

  /** Unit states as one line per unit, sorted, for diagnostics. */
  public String unitsText() {
    return new TreeMap<>(units)
        .entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining("\n"));
  }
}
