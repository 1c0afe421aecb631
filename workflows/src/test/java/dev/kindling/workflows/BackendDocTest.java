package dev.kindling.workflows;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.cleanup.CleanupWorkflow;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/BACKEND.md is the contract other languages code against: it must name everything. */
class BackendDocTest {
  private static String doc() throws IOException {
    Path root = Path.of(System.getProperty("kindling.repo.root", ".."));
    return Files.readString(root.resolve("docs/BACKEND.md"));
  }

  @Test
  void everyFailureTypeIsDocumented() throws IOException {
    String doc = doc();
    List<String> missing = new ArrayList<>();
    for (FailureKind kind : FailureKind.values()) {
      if (!doc.contains("| `" + kind.type() + "` | " + kind.stage() + " |")) {
        missing.add(kind.type());
      }
    }
    assertTrue(missing.isEmpty(), "undocumented failure types: " + missing);
  }

  @Test
  void workflowTypesIdsQueueSearchAttributesAndPhasesAreDocumented() throws IOException {
    String doc = doc();
    List<String> names =
        new ArrayList<>(
            List.of(
                BrowserVmWorkflow.WORKFLOW_TYPE,
                GoldenImageWorkflow.WORKFLOW_TYPE,
                CleanupWorkflow.WORKFLOW_TYPE,
                CleanupWorkflow.WORKFLOW_ID,
                BrowserVmWorkflow.workflowId("<sessionId>"),
                GoldenImageWorkflow.workflowId("<hostId>", null),
                GoldenImageWorkflow.workflowId("<hostId>", "<template>"),
                "**`" + TaskQueues.SHARED + "`**",
                "describe",
                BrowserVmWorkflow.AWAIT_READY,
                "release",
                "extend"));
    KindlingSearchAttributes.all().forEach(key -> names.add("**`" + key.getName() + "`**"));
    for (Phase phase : Phase.values()) {
      names.add("`" + phase.name() + "`");
    }
    List<String> missing = names.stream().filter(name -> !doc.contains(name)).toList();
    assertTrue(missing.isEmpty(), "not in docs/BACKEND.md: " + missing);
  }
}
