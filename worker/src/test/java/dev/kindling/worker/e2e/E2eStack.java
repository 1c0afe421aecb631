package dev.kindling.worker.e2e;

import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.workflows.client.KindlingClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The dev stack a test class runs on (a private Temporal CLI dev server, worker and proxy), in a
 * run directory of its own: started before the class's {@code @BeforeAll} methods, stopped after
 * its {@code @AfterAll} ones, then whatever VM it left destroyed and the directory removed.
 */
final class E2eStack implements BeforeAllCallback, AfterAllCallback {
  private final Map<Setting, String> settings;
  private Path runDir;
  private DevStack stack;
  private KindlingClient client;

  /** A stack with {@code settings} beside the tests' usual ones ({@link E2e#config}). */
  E2eStack(Map<Setting, String> settings) {
    this.settings = Map.copyOf(settings);
  }

  E2eStack() {
    this(Map.of());
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    runDir = E2e.tempRunDir();
    stack = DevStack.start(E2e.config(runDir, settings));
    client = new KindlingClient(stack.connection().client());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (stack != null) {
        stack.close();
        E2e.destroyLeftovers(stack.config()); // the last resort when a workflow never finished
      }
    } finally {
      E2e.deleteRecursively(runDir);
    }
  }

  DevStack stack() {
    return stack;
  }

  KindlingClient client() {
    return client;
  }

  Path runDir() {
    return runDir;
  }
}
