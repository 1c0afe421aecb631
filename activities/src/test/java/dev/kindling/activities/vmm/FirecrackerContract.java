package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The part of Firecracker's HTTP API that {@link FirecrackerVmm} relies on, stated as facts:
 * endpoints and methods, which body each takes, and for each body the fields Kindling sends with
 * their types, enums and bounds, and the fields Firecracker requires. It has the shape of an
 * OpenAPI 2 document so that {@link FirecrackerSpecServer} can enforce it; a field not listed here
 * is refused, so the driver cannot start sending one unnoticed. {@code
 * FirecrackerContractFactsTest} checks every fact against Firecracker's published spec whenever
 * that file is available.
 */
final class FirecrackerContract {
  static final String VERSION = "contract";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FirecrackerContract() {}

  static JsonNode spec() {
    ObjectNode spec = JSON.createObjectNode();
    spec.putObject("info").put("version", VERSION);
    ObjectNode paths = spec.putObject("paths");
    paths.putObject("/").putObject("get");
    body(paths, "/logger", "put", "Logger", true);
    body(paths, "/machine-config", "put", "MachineConfiguration", false);
    body(paths, "/boot-source", "put", "BootSource", true);
    body(paths, "/drives/{drive_id}", "put", "Drive", true);
    body(paths, "/network-interfaces/{iface_id}", "put", "NetworkInterface", true);
    body(paths, "/mmds/config", "put", "MmdsConfig", true);
    body(paths, "/mmds", "put", "MmdsContentsObject", false);
    body(paths, "/actions", "put", "InstanceActionInfo", true);
    body(paths, "/vm", "patch", "Vm", true);
    body(paths, "/snapshot/create", "put", "SnapshotCreateParams", true);
    body(paths, "/snapshot/load", "put", "SnapshotLoadParams", true);

    ObjectNode definitions = spec.putObject("definitions");
    ObjectNode logger = object(definitions, "Logger");
    string(logger, "log_path");
    string(logger, "level", "Error", "Warning", "Info", "Debug", "Trace");
    bool(logger, "show_level");

    ObjectNode machine = object(definitions, "MachineConfiguration", "mem_size_mib", "vcpu_count");
    integer(machine, "vcpu_count", 1, 32);
    integer(machine, "mem_size_mib", null, null);
    bool(machine, "smt");

    ObjectNode boot = object(definitions, "BootSource", "kernel_image_path");
    string(boot, "kernel_image_path");
    string(boot, "initrd_path");
    string(boot, "boot_args");

    ObjectNode drive = object(definitions, "Drive", "drive_id", "is_root_device");
    string(drive, "drive_id");
    string(drive, "path_on_host");
    bool(drive, "is_root_device");
    bool(drive, "is_read_only");

    ObjectNode nic = object(definitions, "NetworkInterface", "host_dev_name", "iface_id");
    string(nic, "iface_id");
    string(nic, "host_dev_name");
    string(nic, "guest_mac");

    ObjectNode mmdsConfig = object(definitions, "MmdsConfig", "network_interfaces");
    string(mmdsConfig, "version", "V1", "V2");
    property(mmdsConfig, "network_interfaces")
        .put("type", "array")
        .putObject("items")
        .put("type", "string");

    object(definitions, "MmdsContentsObject").put("additionalProperties", true);

    ObjectNode action = object(definitions, "InstanceActionInfo", "action_type");
    string(action, "action_type", "FlushMetrics", "InstanceStart", "SendCtrlAltDel");

    ObjectNode vm = object(definitions, "Vm", "state");
    string(vm, "state", "Paused", "Resumed");

    ObjectNode create =
        object(definitions, "SnapshotCreateParams", "mem_file_path", "snapshot_path");
    string(create, "snapshot_type", "Full", "Diff");
    string(create, "snapshot_path");
    string(create, "mem_file_path");

    ObjectNode load = object(definitions, "SnapshotLoadParams", "snapshot_path");
    string(load, "snapshot_path");
    reference(load, "mem_backend", "MemoryBackend");
    bool(load, "resume_vm");

    ObjectNode backend = object(definitions, "MemoryBackend", "backend_type", "backend_path");
    string(backend, "backend_type", "File", "Uffd");
    string(backend, "backend_path");
    return spec;
  }

  private static void body(
      ObjectNode paths, String path, String method, String definition, boolean required) {
    ObjectNode operation = paths.putObject(path).putObject(method);
    ObjectNode parameter = operation.putArray("parameters").addObject();
    parameter.put("name", "body").put("in", "body");
    if (required) {
      parameter.put("required", true);
    }
    parameter.putObject("schema").put("$ref", "#/definitions/" + definition);
    int open = path.indexOf('{');
    if (open >= 0) {
      String name = path.substring(open + 1, path.indexOf('}'));
      ((ArrayNode) operation.get("parameters"))
          .addObject()
          .put("name", name)
          .put("in", "path")
          .put("required", true)
          .put("type", "string");
    }
  }

  private static ObjectNode object(ObjectNode definitions, String name, String... required) {
    ObjectNode schema = definitions.putObject(name).put("type", "object");
    if (required.length > 0) {
      List.of(required).forEach(schema.putArray("required")::add);
    }
    schema.putObject("properties");
    return schema;
  }

  private static ObjectNode property(ObjectNode schema, String name) {
    return ((ObjectNode) schema.get("properties")).putObject(name);
  }

  private static void string(ObjectNode schema, String name, String... allowed) {
    ObjectNode property = property(schema, name).put("type", "string");
    if (allowed.length > 0) {
      List.of(allowed).forEach(property.putArray("enum")::add);
    }
  }

  private static void integer(ObjectNode schema, String name, Integer minimum, Integer maximum) {
    ObjectNode property = property(schema, name).put("type", "integer");
    if (minimum != null) {
      property.put("minimum", minimum);
    }
    if (maximum != null) {
      property.put("maximum", maximum);
    }
  }

  private static void bool(ObjectNode schema, String name) {
    property(schema, name).put("type", "boolean");
  }

  private static void reference(ObjectNode schema, String name, String definition) {
    property(schema, name).put("$ref", "#/definitions/" + definition);
  }
}
