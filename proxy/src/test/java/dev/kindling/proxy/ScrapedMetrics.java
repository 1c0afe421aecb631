package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of one {@code /metrics} scrape (Prometheus text format), to check meters by name and
 * labels.
 */
final class ScrapedMetrics {
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+\\d+)?");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  record Sample(String name, Map<String, String> labels, double value) {}

  private final String text;
  private final List<Sample> samples;

  private ScrapedMetrics(String text, List<Sample> samples) {
    this.text = text;
    this.samples = samples;
  }

  static ScrapedMetrics parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        throw new AssertionError("not a Prometheus sample: " + line);
      }
      Map<String, String> labels = new HashMap<>();
      if (sample.group(2) != null) {
        Matcher label = LABEL.matcher(sample.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
    }
    return new ScrapedMetrics(text, samples);
  }

  static ScrapedMetrics of(ProxyServer proxy) {
    return parse(proxy.metrics().scrape());
  }

  /**
   * The value of the one sample named {@code name} whose labels include {@code labels} (name,
   * value, ...).
   */
  double value(String name, String... labels) {
    List<Sample> matching = matching(name, labels);
    assertEquals(
        1,
        matching.size(),
        () -> matching.size() + " samples " + name + " with " + List.of(labels) + " in:\n" + text);
    return matching.getFirst().value();
  }

  /** Whether any sample named {@code name} has labels including {@code labels}. */
  boolean has(String name, String... labels) {
    return !matching(name, labels).isEmpty();
  }

  private List<Sample> matching(String name, String... labels) {
    Map<String, String> wanted = new HashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      wanted.put(labels[i], labels[i + 1]);
    }
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet()))
        .toList();
  }

  @Override
  public String toString() {
    return text;
  }
}
