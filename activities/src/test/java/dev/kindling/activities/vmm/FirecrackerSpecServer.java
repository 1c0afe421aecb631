package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test-only stand-in for Firecracker's API on a unix socket. Every request is checked against an
 * OpenAPI 2 document ({@link FirecrackerContract}, the facts Kindling relies on): the path and
 * method must exist, and the body must match the schema (required fields, types, enums, bounds;
 * properties the schema does not name are refused unless it says {@code additionalProperties:
 * true}, as Firecracker's own parser refuses them). It also keeps the lifecycle rules the spec's
 * descriptions state (pre-boot only, snapshot load only on a fresh process, snapshot create only
 * when paused) and answers as the spec says: 204 on success, 400 with {@code fault_message}
 * otherwise.
 */
final class FirecrackerSpecServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Request(String method, String path, JsonNode body, List<String> problems) {}

  private final JsonNode spec;
  private final ServerSocketChannel server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile String state = "fresh";
  private volatile boolean machineConfigured;
  private volatile boolean bootSourceConfigured;

  private FirecrackerSpecServer(JsonNode spec, ServerSocketChannel server) {
    this.spec = spec;
    this.server = server;
  }

  static FirecrackerSpecServer start(JsonNode spec, Path socket) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    FirecrackerSpecServer fake = new FirecrackerSpecServer(spec, server);
    Thread.ofVirtual().start(fake::acceptLoop);
    return fake;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Every request that broke the spec, as "METHOD path: problem" lines. */
  List<String> violations() {
    List<String> all = new ArrayList<>();
    for (Request r : requests) {
      r.problems().forEach(p -> all.add(r.method() + " " + r.path() + ": " + p));
    }
    return all;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try (SocketChannel channel = server.accept()) {
        serve(Channels.newInputStream(channel), Channels.newOutputStream(channel));
      } catch (IOException e) {
        if (!server.isOpen()) {
          return;
        }
      }
    }
  }

  private void serve(InputStream in, OutputStream out) throws IOException {
    String requestLine = FirecrackerClient.readLine(in);
    if (requestLine == null) {
      return;
    }
    String[] parts = requestLine.split(" ");
    int length = 0;
    for (String line; (line = FirecrackerClient.readLine(in)) != null && !line.isEmpty(); ) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    byte[] raw = in.readNBytes(length);
    String method = parts[0];
    String path = parts[1];
    List<String> problems = new ArrayList<>();
    JsonNode body = null;
    if (length > 0) {
      try {
        body = JSON.readTree(raw);
      } catch (IOException e) {
        problems.add("body is not JSON: " + e.getMessage());
      }
    }
    if (!"HTTP/1.1".equals(parts[2])) {
      problems.add("not HTTP/1.1: " + parts[2]);
    }
    JsonNode operation = operation(method, path, problems);
    if (operation != null && problems.isEmpty()) {
      checkBody(operation, path, body, problems);
    }
    if (problems.isEmpty()) {
      checkLifecycle(method, path, body, problems);
    }
    requests.add(new Request(method, path, body, List.copyOf(problems)));
    if (!problems.isEmpty()) {
      respond(out, 400, JSON.createObjectNode().put("fault_message", String.join("; ", problems)));
    } else if ("GET".equals(method)) {
      respond(
          out,
          200,
          JSON.createObjectNode()
              .put("app_name", "Firecracker")
              .put("id", "test")
              .put("state", instanceState())
              .put("vmm_version", spec.path("info").path("version").asText()));
    } else {
      respond(out, 204, null);
    }
  }

  /** InstanceInfo.state as the spec enumerates it, from the lifecycle this server tracks. */
  private String instanceState() {
    return switch (state) {
      case "running" -> "Running";
      case "paused" -> "Paused";
      default -> "Not started";
    };
  }

  private JsonNode operation(String method, String path, List<String> problems) {
    Iterator<Map.Entry<String, JsonNode>> paths = spec.path("paths").properties().iterator();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> entry = paths.next();
      if (matches(entry.getKey(), path)) {
        JsonNode operation = entry.getValue().get(method.toLowerCase(Locale.ROOT));
        if (operation == null) {
          problems.add("the spec has no " + method + " for " + entry.getKey());
        }
        return operation;
      }
    }
    problems.add("the spec has no path " + path);
    return null;
  }

  private static boolean matches(String template, String path) {
    String[] t = template.split("/", -1);
    String[] p = path.split("/", -1);
    if (t.length != p.length) {
      return false;
    }
    for (int i = 0; i < t.length; i++) {
      boolean parameter = t[i].startsWith("{") && t[i].endsWith("}");
      if (parameter ? p[i].isEmpty() : !t[i].equals(p[i])) {
        return false;
      }
    }
    return true;
  }

  private void checkBody(JsonNode operation, String path, JsonNode body, List<String> problems) {
    for (JsonNode parameter : operation.path("parameters")) {
      if ("body".equals(parameter.path("in").asText())) {
        if (body == null) {
          if (parameter.path("required").asBoolean(false)) {
            problems.add("the body is required");
          }
          return;
        }
        validate(parameter.path("schema"), body, "body", problems);
      } else if ("path".equals(parameter.path("in").asText()) && body != null) {
        // Firecracker requires an id in the path to equal the same id in the body.
        String name = parameter.path("name").asText();
        String segment = path.substring(path.lastIndexOf('/') + 1);
        if (body.has(name) && !body.path(name).asText().equals(segment)) {
          problems.add(
              name
                  + " in the body ("
                  + body.path(name).asText()
                  + ") differs from the path ("
                  + segment
                  + ")");
        }
      }
    }
  }

  private void validate(JsonNode schema, JsonNode value, String where, List<String> problems) {
    if (schema.has("$ref")) {
      String name = schema.path("$ref").asText().replace("#/definitions/", "");
      validate(spec.path("definitions").path(name), value, where, problems);
      return;
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          problems.add(where + " must be an object");
          return;
        }
        for (JsonNode required : schema.path("required")) {
          if (!value.has(required.asText())) {
            problems.add(where + "." + required.asText() + " is required");
          }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        value
            .properties()
            .forEach(
                field -> {
                  if (properties.has(field.getKey())) {
                    validate(
                        properties.get(field.getKey()),
                        field.getValue(),
                        where + "." + field.getKey(),
                        problems);
                  } else if (additional.isObject()) {
                    validate(additional, field.getValue(), where + "." + field.getKey(), problems);
                  } else if (!additional.asBoolean(false)) {
                    problems.add(
                        where + "." + field.getKey() + " is not a property the spec allows");
                  }
                });
      }
      case "string" -> {
        if (!value.isTextual()) {
          problems.add(where + " must be a string");
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          problems.add(where + " must be an integer");
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          problems.add(where + " must be a number");
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          problems.add(where + " must be a boolean");
        }
      }
      case "array" -> {
        if (!value.isArray()) {
          problems.add(where + " must be an array");
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          validate(schema.path("items"), value.get(i), where + "[" + i + "]", problems);
        }
      }
      default -> {
        // No type: anything goes (e.g. free-form MMDS contents).
      }
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode allowed : schema.path("enum")) {
        listed |= allowed.asText().equals(value.asText());
      }
      if (!listed) {
        problems.add(where + " is '" + value.asText() + "', not one of " + schema.path("enum"));
      }
    }
    if (schema.has("minimum")
        && value.isNumber()
        && value.asLong() < schema.path("minimum").asLong()) {
      problems.add(where + " is below the minimum " + schema.path("minimum"));
    }
    if (schema.has("maximum")
        && value.isNumber()
        && value.asLong() > schema.path("maximum").asLong()) {
      problems.add(where + " is above the maximum " + schema.path("maximum"));
    }
  }

  /**
   * The order rules the spec's descriptions state, tracked as fresh → configuring → running ⇄
   * paused.
   */
  private void checkLifecycle(String method, String path, JsonNode body, List<String> problems) {
    String s = state;
    if ("GET".equals(method)
        || "/logger".equals(path)
        || "/metrics".equals(path)
        || path.equals("/mmds")) {
      return;
    }
    switch (path) {
      case "/snapshot/load" -> {
        if (!"fresh".equals(s)) {
          problems.add("snapshot load is only accepted on a fresh process, not when " + s);
        } else {
          JsonNode memFile = body.path("mem_file_path");
          JsonNode backend = body.path("mem_backend");
          if (memFile.isMissingNode() == backend.isMissingNode()) {
            problems.add("exactly one of mem_file_path and mem_backend must be present");
          }
          state = body.path("resume_vm").asBoolean(false) ? "running" : "paused";
        }
      }
      case "/actions" -> {
        String action = body.path("action_type").asText();
        if ("InstanceStart".equals(action)) {
          if (!machineConfigured || !bootSourceConfigured || !"configuring".equals(s)) {
            problems.add(
                "InstanceStart needs machine-config and boot-source first (state " + s + ")");
          }
          state = "running";
        } else if ("SendCtrlAltDel".equals(action)
            && !("running".equals(s) || "paused".equals(s))) {
          problems.add("SendCtrlAltDel needs a started VM (state " + s + ")");
        }
      }
      case "/vm" -> {
        if (!("running".equals(s) || "paused".equals(s))) {
          problems.add("PATCH /vm is post-boot only (state " + s + ")");
        } else {
          state = "Paused".equals(body.path("state").asText()) ? "paused" : "running";
        }
      }
      case "/snapshot/create" -> {
        if (!"paused".equals(s)) {
          problems.add("snapshot create needs a paused VM (state " + s + ")");
        } else {
          writeSnapshotFiles(body, problems);
        }
      }
      default -> {
        if ("running".equals(s) || "paused".equals(s)) {
          if (!"PATCH".equals(method)) {
            problems.add(path + " is pre-boot only (state " + s + ")");
          }
        } else {
          machineConfigured |= "/machine-config".equals(path);
          bootSourceConfigured |= "/boot-source".equals(path);
          state = "configuring";
        }
      }
    }
  }

  /**
   * Writes small stand-ins for the files Firecracker would write, so the driver can copy and size
   * them.
   */
  private static void writeSnapshotFiles(JsonNode body, List<String> problems) {
    try {
      Files.writeString(Path.of(body.path("snapshot_path").asText()), "vmstate");
      Files.write(Path.of(body.path("mem_file_path").asText()), new byte[4096]);
    } catch (IOException e) {
      problems.add("cannot write the snapshot files: " + e.getMessage());
    }
  }

  private static void respond(OutputStream out, int status, ObjectNode body) throws IOException {
    byte[] payload = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
    String reason =
        switch (status) {
          case 200 -> "OK";
          case 204 -> "No Content";
          default -> "Bad Request";
        };
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + "\r\nServer: Firecracker API\r\nConnection: close\r\n"
            + (status == 204
                ? ""
                : "Content-Type: application/json\r\nContent-Length: " + payload.length + "\r\n")
            + "\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(payload);
    out.flush();
  }
}
