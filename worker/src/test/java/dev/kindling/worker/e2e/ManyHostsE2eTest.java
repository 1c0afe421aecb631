package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.DebootstrapAssembler;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostWorkflow;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One machine stands in for three hosts: three worker JVMs with their own host ids, run directories
 * and image caches (each builds and promotes its own image), one Temporal dev server. Sessions
 * spread by capacity; a host whose worker is SIGKILLed costs no new session and its READY sessions
 * end {@code HostLost}; its leftovers go when it returns; a drained host takes no new session.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class ManyHostsE2eTest {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(ManyHostsE2eTest.class);

  /** Host id → VM slots: the first host has the most room. */
  private static final Map<String, Integer> SLOTS =
      new LinkedHashMap<>(Map.of("mh-a", 12, "mh-b", 8, "mh-c", 8));

  private static final String BIG = "mh-a";
  private static final int LOST_AFTER_SECONDS = 20;
  private static final Duration READY_WITHIN = Duration.ofMinutes(3);

  private static Path runDir;
  private static Path caches;
  private static TemporalDevServer temporal;
  private static TemporalConnection connection;
  private static KindlingClient client;
  private static WorkerProcesses workers;
  private static final Map<String, KindlingConfig> hosts = new LinkedHashMap<>();
  private static final Map<String, Process> processes = new LinkedHashMap<>();
  private static final List<String> sessions = new ArrayList<>();

  @BeforeAll
  static void startThreeHosts() throws Exception {
    runDir = E2e.tempRunDir();
    KindlingConfig defaults = E2e.config(runDir, Map.of());
    HostPaths real = defaults.paths();
    Path cli = TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), real).orElseThrow();
    temporal =
        TemporalDevServer.start(
            new TemporalDevServer.Options(
                cli, 0, -1, null, "default", runDir.resolve("temporal-dev-server.log")));
    KindlingConfig clientConfig =
        E2e.config(runDir, Map.of(Setting.TEMPORAL_TARGET, temporal.target()));
    connection = TemporalConnection.open(clientConfig);
    client = new KindlingClient(connection.client());
    workers = new WorkerProcesses(clientConfig, runDir);

    // Each host's own cache starts with the bootstrapped base and the downloaded packages (as a
    // host that built an image before has), linked from this machine's cache: its image build is
    // apt, the image steps and mkfs, then its own canary and snapshot.
    caches = Files.createTempDirectory(real.cacheDir(), ".e2e-hosts-");
    int port = 16091;
    for (String hostId : SLOTS.keySet()) {
      Path cache = caches.resolve(hostId);
      seedCache(real, cache);
      Map<Setting, String> settings = new EnumMap<>(Setting.class);
      settings.put(Setting.TEMPORAL_TARGET, temporal.target());
      settings.put(Setting.HOST_ID, hostId);
      settings.put(Setting.CACHE_DIR, cache.toString());
      settings.put(Setting.RUN_DIR, runDir.resolve(hostId).toString());
      settings.put(Setting.HOST_VM_SLOTS, String.valueOf(SLOTS.get(hostId)));
      settings.put(Setting.HOST_LOST_AFTER_SECONDS, String.valueOf(LOST_AFTER_SECONDS));
      settings.put(Setting.PROXY_PUBLIC_URL, "http://127.0.0.1:" + port++);
      settings.put(Setting.POOL_TARGETS, Templates.DEFAULT + "=0");
      KindlingConfig config = E2e.config(runDir.resolve(hostId), settings);
      hosts.put(hostId, config);
      processes.put(hostId, workers.start(hostId, List.of(), settingsOf(config)));
    }
    // One after another: three cold canaries at once on 2 CPUs under emulation take minutes each.
    for (KindlingConfig config : hosts.values()) {
      CurrentImage.ensure(connection.client(), config);
    }
  }

  private static Map<Setting, String> settingsOf(KindlingConfig config) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    for (Setting setting :
        List.of(
            Setting.HOST_ID,
            Setting.CACHE_DIR,
            Setting.RUN_DIR,
            Setting.HOST_VM_SLOTS,
            Setting.HOST_LOST_AFTER_SECONDS,
            Setting.PROXY_PUBLIC_URL,
            Setting.POOL_TARGETS)) {
      settings.put(setting, config.get(setting));
    }
    return settings;
  }

  private static void seedCache(HostPaths real, Path cache) throws Exception {
    BuildOptions options = BuildOptions.forTemplate(Templates.builtIn(Templates.DEFAULT), real);
    Path base =
        real.cacheDir()
            .resolve("base")
            .resolve(DebootstrapAssembler.baseKey(options.recipe()) + ".tar");
    if (!Files.isRegularFile(base)) {
      new ImageBuilder().build(options);
    }
    Files.createDirectories(cache.resolve("base"));
    Files.createLink(cache.resolve("base").resolve(base.getFileName()), base);
    Files.createDirectories(cache.resolve("debs"));
    try (Stream<Path> debs = Files.list(real.cacheDir().resolve("debs"))) {
      for (Path deb : debs.filter(p -> p.toString().endsWith(".deb")).toList()) {
        Files.createLink(cache.resolve("debs").resolve(deb.getFileName()), deb);
      }
    }
  }

  @AfterAll
  static void stopEverything() {
    if (client != null) {
      for (String session : sessions) {
        E2e.releaseAndAwaitEnd(connection.client(), session);
      }
    }
    if (workers != null) {
      workers.close();
    }
    if (hosts.containsKey(BIG)) {
      try {
        signalVmms(BIG, "CONT"); // a stopped VMM would not exit on SIGTERM
      } catch (Exception e) {
        log.warn("could not continue {}'s VMMs: {}", BIG, e.toString());
      }
    }
    hosts.values().forEach(E2e::destroyLeftovers);
    if (connection != null) {
      connection.close();
    }
    if (temporal != null) {
      temporal.close();
    }
    if (caches != null) {
      FileTrees.deleteRecursively(caches);
    }
    E2e.deleteRecursively(runDir);
  }

  /** Sends {@code signal} to every VMM that runs on {@code hostId}. */
  private static void signalVmms(String hostId, String signal) throws Exception {
    VmProcesses vmms = new VmProcesses(hosts.get(hostId).paths());
    for (String vmId : E2e.vmDirs(hosts.get(hostId).paths())) {
      java.util.OptionalLong pid = vmms.livePid(vmId);
      if (pid.isPresent()) {
        new ProcessBuilder("kill", "-" + signal, String.valueOf(pid.getAsLong()))
            .inheritIO()
            .start()
            .waitFor();
      }
    }
  }

  private static VmDescription ready(String what) throws Exception {
    String session = E2e.session(what);
    sessions.add(session);
    return client.createVm(
        new VmRequest(session, null, BootMode.AUTO, 1800, 0, 0, 0, null, null, null), READY_WITHIN);
  }

  @Test
  void sessionsFollowCapacityAndALostOrDrainedHostCostsNoNewSession() throws Exception {
    // Twelve sessions, one after another: the host with the most free slots takes each.
    Map<String, List<VmDescription>> placed = new LinkedHashMap<>();
    SLOTS.keySet().forEach(host -> placed.put(host, new ArrayList<>()));
    for (int i = 0; i < 12; i++) {
      VmDescription vm = ready("spread-" + i);
      placed.get(vm.hostId()).add(vm);
      assertEquals(
          hosts.get(vm.hostId()).proxyPublicUrl() + "/sessions/" + vm.sessionId() + "/",
          vm.pageUrl(),
          "the page is on the VM's host's proxy");
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    placed.forEach((host, vms) -> counts.put(host, vms.size()));
    log.info("twelve sessions placed: {}", counts);
    for (String host : SLOTS.keySet()) {
      assertTrue(counts.get(host) >= 2, "every host takes sessions: " + counts);
      assertTrue(counts.get(host) <= SLOTS.get(host), "no host beyond its slots: " + counts);
    }
    assertTrue(
        counts.get(BIG) > counts.get("mh-b") && counts.get(BIG) > counts.get("mh-c"),
        "the host with the most slots takes the most: " + counts);

    // SIGKILL the roomiest host's worker: its record still looks live for up to 20 s, so the
    // next sessions are placed there first, are not picked up and are placed again.
    Process killed = processes.get(BIG);
    killed.destroyForcibly();
    killed.waitFor();
    long killedAt = System.currentTimeMillis();
    // One machine stands in for three: a dead host's VMs would not run on the live hosts' CPUs,
    // so they are frozen while its worker is down (under TCG, idle guests still cost CPU).
    signalVmms(BIG, "STOP");
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String session = E2e.session("after-kill-" + i);
      sessions.add(session);
      after.add(session);
      client.startVm(new VmRequest(session, null, BootMode.AUTO, 1800, 0, 0, 0, null, null, null));
    }
    int placedAgain = 0;
    for (String session : after) {
      client.awaitReady(session, READY_WITHIN.plus(HostStubs.HOST_PICKUP));
      VmDescription vm = client.describe(session);
      assertEquals(Phase.READY, vm.phase(), vm.toString());
      if (vm.timings().stream().anyMatch(t -> t.stage().equals("not-picked-up/" + BIG))) {
        placedAgain++;
      }
      assertNotEquals(BIG, vm.hostId(), "a session on the dead host: " + vm);
      log.info("after the kill: {} READY on {} ({})", session, vm.hostId(), vm.timings());
    }
    log.info("after the kill: {} of 6 sessions were placed on the dead host first", placedAgain);

    // The dead host's READY sessions end HostLost once its record is silent for 20 s.
    for (VmDescription lost : placed.get(BIG)) {
      WorkflowFailedException failed =
          assertThrows(WorkflowFailedException.class, () -> client.awaitEnd(lost.sessionId()));
      assertEquals(
          FailureKind.HOST_LOST.type(),
          assertInstanceOf(ApplicationFailure.class, failed.getCause()).getType());
    }
    long endedWithin =
        placed.get(BIG).stream()
                .mapToLong(
                    vm ->
                        client
                            .workflowStub(vm.sessionId())
                            .describe()
                            .getCloseTime()
                            .toEpochMilli())
                .max()
                .orElseThrow()
            - killedAt;
    log.info("the dead host's sessions all ended HostLost {} ms after the kill", endedWithin);
    assertTrue(
        endedWithin <= (LOST_AFTER_SECONDS + HostWorkflow.REPORT_EVERY.toSeconds() + 20) * 1000,
        "HostLost " + endedWithin + " ms after the kill");
    HostRecord record =
        client.hosts().stream().filter(h -> h.hostId().equals(BIG)).findFirst().orElseThrow();
    assertTrue(record.lost(), record.toString());

    // The host returns: its first reconcile destroys the VMs whose sessions ended meanwhile.
    KindlingConfig big = hosts.get(BIG);
    assertEquals(placed.get(BIG).size(), E2e.vmDirs(big.paths()).size(), "the VMs outlived it");
    signalVmms(BIG, "CONT");
    processes.put(BIG, workers.start(BIG + "-again", List.of(), settingsOf(big)));
    Await.until(
        "the returned host's leftovers reclaimed",
        Duration.ofMinutes(3),
        () -> E2e.vmDirs(big.paths()),
        List::isEmpty);
    for (VmDescription lost : placed.get(BIG)) {
      E2e.assertNothingLeft(big.paths(), lost.vmId());
    }
    Await.until(
        "the returned host's record live again",
        Duration.ofSeconds(30),
        () -> client.hosts().stream().filter(h -> h.hostId().equals(BIG)).findFirst(),
        found -> found.isPresent() && !found.get().lost());

    // Drain a host: new sessions avoid it, its sessions keep running.
    client.drain("mh-c", "maintenance");
    for (int i = 0; i < 3; i++) {
      VmDescription vm = ready("drained-" + i);
      assertNotEquals("mh-c", vm.hostId(), "a new session on the drained host: " + vm);
    }
    for (VmDescription running : placed.get("mh-c")) {
      assertEquals(Phase.READY, client.describe(running.sessionId()).phase());
    }
    client.undrain("mh-c");

    for (String session : sessions) {
      E2e.releaseAndAwaitEnd(connection.client(), session);
    }
    for (Map.Entry<String, KindlingConfig> host : hosts.entrySet()) {
      assertEquals(List.of(), E2e.vmDirs(host.getValue().paths()), host.getKey() + " left VMs");
    }
  }
}
