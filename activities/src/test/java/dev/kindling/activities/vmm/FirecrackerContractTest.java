package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@link FirecrackerVmm}'s boot, snapshot-create and snapshot-load flows against a server
 * that checks every request against {@link FirecrackerContract} (whose facts {@link
 * FirecrackerContractFactsTest} checks against Firecracker's published spec). The "VMM process" is
 * a harmless {@code tail} whose command line names the VM's directory, so liveness and stop work on
 * a real process.
 */
class FirecrackerContractTest {
  private static JsonNode spec;
  @TempDir Path dir;
  private final Map<Path, FirecrackerSpecServer> servers = new ConcurrentHashMap<>();
  private final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void loadSpec() {
    spec = FirecrackerContract.spec();
  }

  @AfterEach
  void stopEverything() throws IOException {
    for (FirecrackerSpecServer server : servers.values()) {
      server.close();
    }
    processes.forEach(Process::destroyForcibly);
  }

  private FirecrackerVmm vmm() {
    FirecrackerVmm.Launcher launcher =
        (vmSpec, argv) -> {
          assertEquals(
              List.of(
                  "ip",
                  "netns",
                  "exec",
                  vmSpec.namespace(),
                  "firecracker",
                  "--api-sock",
                  vmSpec.apiSocket().toString(),
                  "--id",
                  vmSpec.vmId()),
              argv);
          servers.put(vmSpec.vmDir(), FirecrackerSpecServer.start(spec, vmSpec.apiSocket()));
          Files.createFile(vmSpec.serialLog());
          Process stand_in =
              new ProcessBuilder("tail", "-f", vmSpec.serialLog().toString()).start();
          processes.add(stand_in);
          return stand_in.pid();
        };
    return new FirecrackerVmm(
        new FirecrackerConfig("firecracker", Duration.ofSeconds(5), Duration.ofSeconds(5)),
        launcher,
        Heartbeat.NONE);
  }

  private VmSpec spec(String vmId) throws IOException {
    Path image = Files.createDirectories(dir.resolve("image"));
    for (String f : List.of("vmlinuz", "vmlinux", "initrd.img", "rootfs.ext4")) {
      if (!Files.exists(image.resolve(f))) {
        Files.write(image.resolve(f), new byte[1024]);
      }
    }
    Path vmDir = Files.createDirectories(dir.resolve(vmId));
    return new VmSpec(
        vmId,
        "b".repeat(64),
        vmDir,
        "kindling-" + vmId,
        "tap0",
        "02:4b:44:00:00:02",
        256,
        1,
        image.resolve("vmlinuz"),
        image.resolve("initrd.img"),
        image.resolve("rootfs.ext4"),
        "console=ttyS0 kindling.ip=169.254.77.2/30");
  }

  private static List<String> calls(FirecrackerSpecServer server) {
    return server.requests().stream().map(r -> r.method() + " " + r.path()).toList();
  }

  @Test
  void theServerRefusesRequestsTheSpecForbids() throws Exception {
    Path socket = dir.resolve("fc.sock");
    try (FirecrackerSpecServer server = FirecrackerSpecServer.start(spec, socket)) {
      FirecrackerClient client = new FirecrackerClient(socket, Duration.ofSeconds(5));
      assertEquals(
          400,
          assertThrows(
                  FirecrackerClient.FirecrackerApiException.class,
                  () -> client.put("/machine-config", Map.of("vcpu_count", 1)))
              .status(),
          "mem_size_mib is required");
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/machine-config", Map.of("vcpu_count", "one", "mem_size_mib", 256)));
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/boot-source", Map.of("kernel_image_path", "/k", "kernel_args", "x")));
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/drives/a", Map.of("drive_id", "b", "is_root_device", false)));
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/actions", Map.of("action_type", "Reboot")));
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/no-such-path", Map.of()));
      assertThrows(
          FirecrackerClient.FirecrackerApiException.class,
          () -> client.put("/actions", Map.of("action_type", "InstanceStart")),
          "not configured yet");
      assertEquals(7, server.violations().size(), String.join("\n", server.violations()));
    }
  }

  @Test
  void bootConfiguresEverythingThroughTheApiAndPutsThisVmsSecretsIntoMmds() throws Exception {
    FirecrackerVmm vmm = vmm();
    VmSpec vmSpec = spec("vm00000000a1");
    RunningVm vm = vmm.boot(vmSpec);
    FirecrackerSpecServer server = servers.get(vmSpec.vmDir());
    assertEquals(List.of(), server.violations());
    assertEquals(
        List.of(
            "GET /",
            "PUT /logger",
            "PUT /machine-config",
            "PUT /boot-source",
            "PUT /drives/rootfs",
            "PUT /network-interfaces/eth0",
            "PUT /mmds/config",
            "PUT /mmds",
            "PUT /actions"),
        calls(server));
    assertEquals(
        vmSpec.kernel().resolveSibling("vmlinux").toString(),
        server.requests().get(3).body().path("kernel_image_path").asText(),
        "Firecracker boots the image's ELF kernel, not its bzImage");
    JsonNode drive = server.requests().get(4).body();
    assertEquals(
        "rootfs.ext4",
        drive.path("path_on_host").asText(),
        "relative to the VM's directory, so snapshots stay portable");
    assertTrue(Files.exists(vmSpec.vmDir().resolve("rootfs.ext4")), "a per-VM disk copy");
    JsonNode mmds = server.requests().get(7).body();
    assertEquals(
        VmSecrets.read(vmSpec.vmDir()).vncPassword(),
        mmds.path("kindling").path("vncPassword").asText());
    assertEquals("tap0", server.requests().get(5).body().path("host_dev_name").asText());
    assertTrue(vmm.alive(vm));

    vmm.stop(vm, Duration.ofMillis(200));
    assertFalse(vmm.alive(vm));
    assertEquals("PUT /actions", calls(server).getLast());
    assertEquals("SendCtrlAltDel", server.requests().getLast().body().path("action_type").asText());
    assertEquals(List.of(), server.violations());
  }

  @Test
  void anImageWithoutAnElfKernelFailsTypedBeforeAnythingStarts() throws Exception {
    VmSpec vmSpec = spec("vm00000000c1");
    Files.delete(vmSpec.kernel().resolveSibling("vmlinux"));
    VmmException e = assertThrows(VmmException.class, () -> vmm().boot(vmSpec));
    assertEquals(FailureKind.VMM_FAILED_TO_START, e.kind());
    assertTrue(e.getMessage().contains("uncompressed ELF kernel"), e.getMessage());
    assertEquals(Map.of(), servers, "no Firecracker process was launched");
    assertFalse(Files.exists(vmSpec.vmDir().resolve("rootfs.ext4")), "no disk was copied");
  }

  @Test
  void snapshotCreateAndLoadFollowTheSpecAndTheRestoredVmGetsItsOwnSecrets() throws Exception {
    FirecrackerVmm vmm = vmm();
    VmSpec source = spec("vm00000000b1");
    RunningVm vm = vmm.boot(source);
    Path snapshotDir = dir.resolve("snapshot");
    SnapshotFiles files = vmm.snapshot(vm, snapshotDir);
    FirecrackerSpecServer sourceServer = servers.get(source.vmDir());
    assertEquals(List.of(), sourceServer.violations());
    assertEquals(List.of("PATCH /vm", "PUT /snapshot/create"), calls(sourceServer).subList(9, 11));
    assertEquals("b".repeat(64), files.manifest().imageId());
    assertTrue(Files.exists(files.disk()));
    assertEquals(4096, files.manifest().memoryBytes());
    // The snapshot left the guest paused: no Ctrl+Alt+Del it could not answer, straight to SIGTERM.
    int beforeStop = sourceServer.requests().size();
    vmm.stop(vm, Duration.ofMinutes(5));
    assertFalse(vmm.alive(vm));
    assertEquals(
        List.of("GET /"), calls(sourceServer).subList(beforeStop, calls(sourceServer).size()));

    VmSpec target = spec("vm00000000b2");
    RunningVm restored = vmm.restore(target, SnapshotManifest.read(snapshotDir));
    FirecrackerSpecServer targetServer = servers.get(target.vmDir());
    assertEquals(List.of(), targetServer.violations());
    assertEquals(
        List.of("GET /", "PUT /logger", "PUT /snapshot/load", "PUT /mmds"), calls(targetServer));
    JsonNode load = targetServer.requests().get(2).body();
    assertFalse(load.has("network_overrides"), "every namespace's TAP has the snapshot's name");
    assertTrue(load.path("resume_vm").asBoolean());
    assertEquals(
        snapshotDir.resolve("memory.state").toString(),
        load.path("mem_backend").path("backend_path").asText());
    String restoredPassword =
        targetServer.requests().get(3).body().path("kindling").path("vncPassword").asText();
    assertEquals(VmSecrets.read(target.vmDir()).vncPassword(), restoredPassword);
    assertFalse(
        restoredPassword.equals(VmSecrets.read(source.vmDir()).vncPassword()),
        "fresh secrets, not the snapshot's");
    assertTrue(vmm.alive(restored));

    VmSpec otherImage =
        new VmSpec(
            "vm00000000b3",
            "c".repeat(64),
            target.vmDir(),
            target.namespace(),
            "tap0",
            target.guestMac(),
            256,
            1,
            target.kernel(),
            target.initrd(),
            target.baseDisk(),
            "console=ttyS0");
    VmmException mismatch = assertThrows(VmmException.class, () -> vmm.restore(otherImage, files));
    assertEquals(FailureKind.SNAPSHOT_MISMATCH, mismatch.kind());
  }
}
