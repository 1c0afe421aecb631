package dev.kindling.host.testing;

import dev.kindling.host.exec.Commands;
import java.util.UUID;

/** A throwaway network namespace for a test; closing it deletes it and everything inside. */
public final class TestNamespace implements AutoCloseable {
  private final String name;

  private TestNamespace(String name) {
    this.name = name;
  }

  public static TestNamespace create() {
    String name = "kindling-t" + UUID.randomUUID().toString().substring(0, 8);
    Commands.check("ip", "netns", "add", name);
    Commands.check("ip", "-n", name, "link", "set", "lo", "up");
    return new TestNamespace(name);
  }

  public String name() {
    return name;
  }

  @Override
  public void close() {
    Commands.run(java.util.List.of("ip", "netns", "delete", name));
  }
}
