package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every fact in {@link FirecrackerContract} holds in Firecracker's published API spec: the same
 * endpoints and bodies, the same required fields, and for each field Kindling sends the same type,
 * bounds and only values the spec allows. Runs when the spec file is beside the checkout (it is not
 * part of the repository); skipped with the reason otherwise.
 */
class FirecrackerContractFactsTest {
  private static final Path SPEC =
      Path.of(System.getProperty("kindling.repo.root", "."))
          .resolve("../shared/firecracker/firecracker.yaml")
          .normalize();

  @Test
  void everyFactHoldsInFirecrackersPublishedSpec() throws IOException {
    if (!Files.isRegularFile(SPEC)) {
      String reason = "Firecracker's published API spec is not beside this checkout (" + SPEC + ")";
      System.out.println("[kindling] FirecrackerContractFactsTest skipped: " + reason);
      Assumptions.abort(reason);
    }
    JsonNode published = new ObjectMapper(new YAMLFactory()).readTree(SPEC.toFile());
    JsonNode contract = FirecrackerContract.spec();
    List<String> problems = new ArrayList<>();

    for (Map.Entry<String, JsonNode> path : contract.path("paths").properties()) {
      for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
        String where = method.getKey().toUpperCase() + " " + path.getKey();
        JsonNode theirs = published.path("paths").path(path.getKey()).path(method.getKey());
        if (theirs.isMissingNode()) {
          problems.add(where + ": not in the spec");
          continue;
        }
        if (!parameters(method.getValue()).equals(parameters(theirs))) {
          problems.add(
              where
                  + ": parameters "
                  + parameters(method.getValue())
                  + ", the spec says "
                  + parameters(theirs));
        }
      }
    }
    for (Map.Entry<String, JsonNode> definition : contract.path("definitions").properties()) {
      String name = definition.getKey();
      compare(
          name, definition.getValue(), published.path("definitions").path(name), true, problems);
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  /** Each parameter as "in name required type-or-schema". */
  private static Set<String> parameters(JsonNode operation) {
    Set<String> all = new HashSet<>();
    for (JsonNode p : operation.path("parameters")) {
      all.add(
          p.path("in").asText()
              + " "
              + (p.path("in").asText().equals("body") ? "" : p.path("name").asText())
              + " required="
              + p.path("required").asBoolean(false)
              + " "
              + (p.has("schema")
                  ? p.path("schema").path("$ref").asText()
                  : p.path("type").asText()));
    }
    return all;
  }

  private static void compare(
      String where, JsonNode ours, JsonNode theirs, boolean definition, List<String> problems) {
    if (theirs.isMissingNode()) {
      problems.add(where + ": not in the spec");
      return;
    }
    for (String key : List.of("type", "$ref", "minimum", "maximum", "additionalProperties")) {
      if (!ours.path(key).equals(theirs.path(key))) {
        problems.add(
            where + ": " + key + " is " + ours.path(key) + ", the spec says " + theirs.path(key));
      }
    }
    if (definition && !set(ours.path("required")).equals(set(theirs.path("required")))) {
      problems.add(
          where
              + ": requires "
              + set(ours.path("required"))
              + ", the spec says "
              + set(theirs.path("required")));
    }
    if (!set(theirs.path("enum")).containsAll(set(ours.path("enum")))) {
      problems.add(
          where
              + ": allows "
              + set(ours.path("enum"))
              + ", the spec only "
              + set(theirs.path("enum")));
    }
    if (ours.has("enum") != theirs.has("enum")) {
      problems.add(where + ": an enum on one side only");
    }
    if (ours.has("items")) {
      compare(where + "[]", ours.path("items"), theirs.path("items"), false, problems);
    }
    for (Map.Entry<String, JsonNode> property : ours.path("properties").properties()) {
      compare(
          where + "." + property.getKey(),
          property.getValue(),
          theirs.path("properties").path(property.getKey()),
          false,
          problems);
    }
  }

  private static Set<String> set(JsonNode array) {
    Set<String> values = new HashSet<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }
}
