package dev.kindling.activities.readiness;

import static dev.kindling.workflows.FailureKind.AGENT_UNHEALTHY;
import static dev.kindling.workflows.FailureKind.APP_NOT_RUNNING;
import static dev.kindling.workflows.FailureKind.BLANK_DESKTOP;
import static dev.kindling.workflows.FailureKind.GUEST_UNREACHABLE;
import static dev.kindling.workflows.FailureKind.HANDSHAKE_FAILED;
import static dev.kindling.workflows.FailureKind.NO_BANNER;
import static dev.kindling.workflows.FailureKind.READINESS_TIMEOUT;
import static dev.kindling.workflows.FailureKind.VMM_EXITED;
import static dev.kindling.workflows.FailureKind.WEBSOCKET_UPGRADE_FAILED;
import static dev.kindling.workflows.FailureKind.WEBSOCKIFY_REFUSED;

import dev.kindling.activities.diagnostics.DiagnosticsCollector;
import dev.kindling.host.Printable;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbHandshakeException;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.ServerInit;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.StageTiming;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staged readiness of one VM: every {@link ReadinessStage} in order against one deadline, each
 * raced against the VMM exiting. A stage retries within milliseconds until it passes; a failure
 * carries the kind of the last cause the stage observed (or {@code ReadinessTimeout} when no
 * attempt proved anything) and a {@link Diagnostics} bundle.
 *
 * <p>Ready means a complete RFB handshake through websockify with the VM's password, up to
 * ServerInit (a port that accepts TCP is not ready, and neither is a banner), and then the desktop
 * a user would see: the agent reports the template's app window mapped, and one full framebuffer
 * through websockify is not blank ({@link DesktopFrame#blank()}).
 */
public final class ReadinessProbe {
  private static final Logger log = LoggerFactory.getLogger(ReadinessProbe.class);

  /** A read's timeout grows up to this many times the configured one. */
  private static final int MAX_PATIENCE_FACTOR = 8;

  /** How far towards a desktop an attempt at websockify got when it failed, least far first. */
  private static final List<FailureKind> REACH =
      List.of(WEBSOCKIFY_REFUSED, WEBSOCKET_UPGRADE_FAILED, NO_BANNER, HANDSHAKE_FAILED);

  /**
   * Per-attempt timeouts end this long before the deadline, so the attempt's own cause is recorded.
   */
  private static final long DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(15);

  static final String WEBSOCKIFY_UNIT = "kindling-websockify.service";

  /** How long the agent must report websockify's unit settled down before the probe believes it. */
  static final Duration SETTLED_UNIT_GRACE = Duration.ofSeconds(3);

  private static final Duration UNIT_CHECK_EVERY = Duration.ofMillis(500);

  /**
   * How long a mapped window may show a blank desktop before it counts as blank for good. Under
   * emulation Chromium maps its window and then takes up to half a minute to paint its page; a
   * frame that is still blank after that will not change by itself.
   */
  static final Duration BLANK_GRACE = Duration.ofSeconds(30);

  /**
   * Desktop attempts each start processes in the guest (systemctl, xdotool) and move a frame: not
   * more often than this.
   */
  static final Duration DESKTOP_POLL = Duration.ofMillis(250);

  /**
   * One framebuffer at 8 bits per pixel (1 MiB at 1280x800) may take seconds through websockify
   * under emulation.
   */
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(15);

  static final int THUMBNAIL_WIDTH = 320;
  private static final Duration APP_TIMEOUT = Duration.ofSeconds(10);

  private final ProbeSettings settings;
  private final DiagnosticsCollector diagnostics;

  public ReadinessProbe(ProbeSettings settings, DiagnosticsCollector diagnostics) {
    this.settings = settings;
    this.diagnostics = diagnostics;
  }

  public ReadinessProbe() {
    this(ProbeSettings.defaults(), new DiagnosticsCollector());
  }

  /**
   * Waits until {@code target} completes an RFB handshake through websockify or fails typed.
   *
   * @throws ReadinessFailure naming the stage, its kind and the evidence
   */
  public ReadinessReport await(
      ProbeTarget target, VmmLiveness liveness, Duration timeout, ProbeListener listener) {
    return new Run(target, liveness, listener, System.nanoTime(), timeout, false, null).execute();
  }

  /**
   * Readiness of a pool VM handed to a session: the agent answers the secrets (new password, clock,
   * entropy, launch; the pool proved the guest reachable and its agent healthy, and the secrets
   * need both to answer) and a handshake through websockify proves the new password: the answer to
   * {@code parked}'s challenge when there is one (the TCP and upgrade stages were passed when it
   * was parked), else a full one. The desktop is checked again only when the launch changes the
   * app; the pool proved it before. The report's onExit is null when it was not.
   *
   * @param parked the VM's parked handshake (closed here), or null
   */
  public ReadinessReport awaitHandOver(
      ProbeTarget target,
      VmmLiveness liveness,
      Duration timeout,
      ProbeListener listener,
      ParkedHandshake parked) {
    return new Run(target, liveness, listener, System.nanoTime(), timeout, true, parked).execute();
  }

  /**
   * A new connection through websockify, up to VNC authentication's challenge, for a hand-over to
   * answer ({@link #awaitHandOver}). The VM must be ready.
   */
  ParkedHandshake park(ProbeTarget target, Duration timeout) throws IOException {
    WebSocketClientConnection ws = VncDesktop.connect(target, timeout);
    try {
      ws.setReadTimeout(timeout);
      return new ParkedHandshake(
          target.namespace(), ws, RfbHandshake.awaitChallenge(ws.input(), ws.output()));
    } catch (IOException | RuntimeException e) {
      ws.close();
      throw e;
    }
  }

  public ReadinessReport await(ProbeTarget target, VmmLiveness liveness, Duration timeout) {
    return await(target, liveness, timeout, ProbeListener.NONE);
  }

  /** One stage attempt, given how long it may block. */
  @FunctionalInterface
  private interface Attempt<T> {
    T run(Duration budget) throws AttemptFailure, InterruptedException;
  }

  /** The state of one probe: deadline, timings so far, what the agent said. */
  private final class Run {
    private final ProbeTarget target;
    private final VmmLiveness liveness;
    private final ProbeListener listener;
    private final long startNanos;
    private final long deadlineNanos;
    private final Duration timeout;
    private final List<StageTiming> timings = new ArrayList<>();
    private final boolean handOver;

    /** A hand-over's parked handshake until the handshake stage takes it. */
    private volatile ParkedHandshake parked;

    private volatile AgentHealth health;
    private long lastUnitCheckNanos;
    private long websockifyDownSinceNanos;
    private volatile AttemptFailure lastFailure;

    /**
     * A connection to 6080 handed from the TCP stage to the upgrade stage (websockify sees one
     * client, not two).
     */
    private volatile SocketChannel connected;

    /** An upgraded WebSocket handed from the upgrade stage to the handshake stage. */
    private volatile WebSocketClientConnection upgraded;

    /** The RFB session the handshake stage completed, kept for the desktop stage's frames. */
    private volatile VncDesktop desktop;

    private volatile AppStatus app;
    private volatile DesktopFrame frame;
    private long blankSinceNanos;
    private long lastDesktopAttemptNanos;

    /**
     * How long one read may take. It doubles whenever websockify took a connection and then did not
     * answer in time with time to spare: a guest too busy to answer within the usual time
     * (websockify forking under load) is given longer, instead of being asked again with a timeout
     * it cannot meet.
     */
    private volatile Duration patience = settings.ioTimeout();

    Run(
        ProbeTarget target,
        VmmLiveness liveness,
        ProbeListener listener,
        long startNanos,
        Duration timeout,
        boolean handOver,
        ParkedHandshake parked) {
      this.handOver = handOver;
      this.parked = parked;
      this.target = target;
      this.liveness = liveness;
      this.listener = listener;
      this.startNanos = startNanos;
      this.deadlineNanos = startNanos + timeout.toNanos();
      this.timeout = timeout;
    }

    ReadinessReport execute() {
      try {
        if (!NetworkNamespaces.exists(target.namespace())) {
          throw fail(
              GUEST_UNREACHABLE,
              ReadinessStage.GUEST_REACHABLE,
              "the VM's network namespace " + target.namespace() + " does not exist");
        }
        if (!handOver) {
          stage(ReadinessStage.GUEST_REACHABLE, this::reachGuest);
          stage(ReadinessStage.AGENT_HEALTH, this::checkAgent);
        }
        stage(ReadinessStage.SECRETS, this::sendSecrets);
        if (parked == null) {
          stage(ReadinessStage.TCP_WEBSOCKIFY, this::connectWebsockify);
          stage(ReadinessStage.WEBSOCKET_UPGRADE, this::upgrade);
        }
        ServerInit init = stage(ReadinessStage.RFB_HANDSHAKE, this::handshake);
        long total;
        if (handOver && target.launch() == null) {
          // The app has not changed since the pool proved its desktop.
          total = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
          log.info(
              "{} handed over in {} ms: {}x{} '{}' with its new password ({})",
              target.vmId(),
              total,
              init.width(),
              init.height(),
              init.name(),
              timingsText());
          return new ReadinessReport(
              List.copyOf(timings), total, init.width(), init.height(), init.name(), null);
        }
        DesktopFrame shown = stage(ReadinessStage.DESKTOP, this::desktop);
        total = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        AppStatus.Window window = app.window();
        log.info(
            "{} ready in {} ms: {}x{} '{}', app window {} '{}', {} ({})",
            target.vmId(),
            total,
            init.width(),
            init.height(),
            init.name(),
            window.wmClass(),
            window.title(),
            shown.summary(),
            timingsText());
        return new ReadinessReport(
            List.copyOf(timings), total, init.width(), init.height(), init.name(), app.onExit());
      } finally {
        closeQuietly(parked);
        closeQuietly(connected);
        closeQuietly(upgraded);
        closeQuietly(desktop);
      }
    }

    /**
     * Runs one stage's attempts on a virtual thread while this thread watches the VMM and the
     * deadline. The stage's time is the attempts' own, up to the moment the last one passed.
     */
    private <T> T stage(ReadinessStage stage, Attempt<T> attempt) {
      lastFailure = null;
      long stageStart = System.nanoTime();
      AtomicLong passedAt = new AtomicLong();
      FutureTask<T> task =
          new FutureTask<>(
              () -> {
                T value = retry(attempt);
                passedAt.set(System.nanoTime());
                return value;
              });
      Thread.ofVirtual().name("readiness-" + target.vmId() + "-" + stage.label()).start(task);
      long nextProgress = stageStart + settings.progressEvery().toNanos();
      try {
        // After the attempts started: an activity's first heartbeat is a call to the server, and
        // the guest need not wait for it.
        listener.stageStarted(stage);
        while (true) {
          Optional<String> exit = liveness.exitReason();
          if (exit.isPresent()) {
            task.cancel(true);
            throw fail(
                VMM_EXITED, stage, "the VMM exited during " + stage.label() + ": " + exit.get());
          }
          long now = System.nanoTime();
          if (now >= deadlineNanos) {
            task.cancel(true);
            throw deadlineFailure(stage);
          }
          try {
            T value =
                task.get(
                    Math.min(settings.livenessPoll().toNanos(), deadlineNanos - now),
                    TimeUnit.NANOSECONDS);
            long passed = passedAt.get();
            timings.add(
                new StageTiming(stage.label(), TimeUnit.NANOSECONDS.toMillis(passed - stageStart)));
            listener.stagePassed(stage, passed);
            return value;
          } catch (TimeoutException e) {
            if (System.nanoTime() >= nextProgress) {
              nextProgress += settings.progressEvery().toNanos();
              AttemptFailure last = lastFailure;
              listener.stillWaiting(
                  stage,
                  Duration.ofNanos(System.nanoTime() - stageStart),
                  last == null ? null : last.getMessage());
            }
          } catch (ExecutionException e) {
            if (e.getCause() instanceof AttemptFailure failure) {
              throw fail(failure.kind(), stage, failure.getMessage());
            }
            log.warn("{}: unexpected error in {}", target.vmId(), stage.label(), e.getCause());
            throw fail(
                READINESS_TIMEOUT,
                stage,
                "unexpected error in " + stage.label() + ": " + e.getCause());
          } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw fail(READINESS_TIMEOUT, stage, "interrupted while waiting for " + stage.label());
          }
        }
      } finally {
        task.cancel(true);
      }
    }

    private <T> T retry(Attempt<T> attempt) throws AttemptFailure, InterruptedException {
      long delay = settings.minRetryDelay().toNanos();
      while (true) {
        Duration budget =
            Duration.ofNanos(
                Math.max(
                    TimeUnit.MILLISECONDS.toNanos(1),
                    deadlineNanos - DEADLINE_MARGIN_NANOS - System.nanoTime()));
        try {
          return attempt.run(budget);
        } catch (AttemptFailure failure) {
          // A timeout the deadline cut short proves less than the cause already seen, and so does
          // an
          // attempt that got less far than an earlier one of the same stage: keep that one.
          boolean cutShort = failure.timedOut() && budget.compareTo(patience) < 0;
          if (lastFailure == null || !(cutShort || reachesLessFar(failure, lastFailure))) {
            lastFailure = failure;
          }
          if (failure.slowAnswer() && !cutShort) {
            patience =
                min(
                    patience.multipliedBy(2),
                    settings.ioTimeout().multipliedBy(MAX_PATIENCE_FACTOR));
          }
          if (!failure.retryable()) {
            throw failure;
          }
        }
        TimeUnit.NANOSECONDS.sleep(delay);
        delay = Math.min(delay * 2, settings.maxRetryDelay().toNanos());
      }
    }

    /**
     * E.g. a fresh WebSocket upgrade that failed after an earlier attempt reached the RFB
     * handshake.
     */
    private static boolean reachesLessFar(AttemptFailure failure, AttemptFailure earlier) {
      int reach = reach(failure);
      return reach >= 0 && reach < reach(earlier);
    }

    /** An attempt that proved nothing has no kind, and no place on the way to a desktop. */
    private static int reach(AttemptFailure failure) {
      return failure.kind() == null ? -1 : REACH.indexOf(failure.kind());
    }

    private ReadinessFailure deadlineFailure(ReadinessStage stage) {
      AttemptFailure last = lastFailure;
      String prefix =
          stage.label()
              + " did not pass within the "
              + timeout.toMillis()
              + " ms readiness deadline";
      if (last == null) {
        return fail(READINESS_TIMEOUT, stage, prefix + " (no attempt completed)");
      }
      FailureKind kind = last.kind() == null ? READINESS_TIMEOUT : last.kind();
      return fail(kind, stage, prefix + ": " + last.getMessage());
    }

    private ReadinessFailure fail(FailureKind kind, ReadinessStage stage, String message) {
      String passed = timings.isEmpty() ? "" : " (passed: " + timingsText() + ")";
      Diagnostics evidence = diagnostics.collect(target, stage.label(), message, liveness, health);
      if (stage == ReadinessStage.DESKTOP) {
        evidence = withAppEvidence(evidence, kind);
      }
      String text = message;
      if (kind == GUEST_UNREACHABLE) {
        String entry =
            DiagnosticsCollector.neighbourEntry(evidence.neighbours(), target.guestAddress());
        text +=
            entry == null
                ? "; no neighbour entry for " + target.guestAddress()
                : "; neighbour: " + entry;
      }
      log.warn(
          "{} not ready: {} in {}: {}{}", target.vmId(), kind.type(), stage.label(), text, passed);
      return new ReadinessFailure(kind, stage, text + passed, evidence);
    }

    /**
     * The app's state and log tail, and for a blank desktop a thumbnail kept beyond the VM's life.
     */
    private Diagnostics withAppEvidence(Diagnostics evidence, FailureKind kind) {
      AppStatus last = app;
      String thumbnail = null;
      DesktopFrame seen = frame;
      if (kind == BLANK_DESKTOP && seen != null && target.evidenceDir() != null) {
        Path file = target.evidenceDir().resolve(target.vmId() + "-desktop.png");
        try {
          seen.writeThumbnail(file, THUMBNAIL_WIDTH);
          thumbnail = file.toString();
        } catch (IOException | RuntimeException e) {
          log.warn(
              "{}: could not keep the desktop's thumbnail at {}: {}",
              target.vmId(),
              file,
              e.toString());
        }
      }
      return evidence.withApp(
          last == null ? null : last.ending(), last == null ? null : last.logTail(), thumbnail);
    }

    private String timingsText() {
      return timings.stream()
          .map(t -> t.stage() + " " + t.millis() + " ms")
          .collect(Collectors.joining(", "));
    }

    // The stages. Each attempt returns a value on success or throws AttemptFailure with its cause.

    private Boolean reachGuest(Duration budget) throws AttemptFailure {
      try (SocketChannel ignored = connect(target.agent(), budget)) {
        return true;
      } catch (ConnectException e) {
        if (isRefused(e)) {
          return true; // A reset is an answer: the guest's TCP stack is up even if the agent is
          // not.
        }
        throw AttemptFailure.transientFailure(
            GUEST_UNREACHABLE, "connect to " + describe(target.agent()) + ": " + e.getMessage());
      } catch (SocketTimeoutException e) {
        throw AttemptFailure.timedOut(
            GUEST_UNREACHABLE,
            "connect to "
                + describe(target.agent())
                + ": no answer within "
                + min(settings.connectTimeout(), budget).toMillis()
                + " ms");
      } catch (IOException e) {
        throw AttemptFailure.transientFailure(
            GUEST_UNREACHABLE,
            "connect to " + describe(target.agent()) + ": " + RfbHandshake.describe(e));
      }
    }

    private AgentHealth checkAgent(Duration budget) throws AttemptFailure {
      try {
        // The agent's "ready" flag is recorded, not required: x11vnc waits for the password that
        // the next stage delivers, so the agent may well say "not ready" here.
        AgentHealth answer = agent(budget).health();
        health = answer;
        return answer;
      } catch (AgentClient.UnhealthyAnswerException e) {
        throw AttemptFailure.transientFailure(AGENT_UNHEALTHY, e.getMessage());
      } catch (IOException e) {
        throw agentFailure("GET /health", e);
      }
    }

    private Boolean sendSecrets(Duration budget) throws AttemptFailure {
      try {
        // The agent answers only once x11vnc demands the password, which can take seconds under
        // emulation, so this one request may use the whole remaining budget.
        AgentClient slowAgent =
            new AgentClient(
                target.namespace(), target.agent(), min(settings.connectTimeout(), budget), budget);
        AgentClient.Response response =
            slowAgent.postSecrets(target.vncPassword(), target.launch());
        if (!response.successful()) {
          throw AttemptFailure.transientFailure(
              AGENT_UNHEALTHY,
              "POST /v1/secrets answered "
                  + response.status()
                  + " "
                  + Printable.of(response.body()));
        }
        return true;
      } catch (IOException e) {
        throw agentFailure("POST /v1/secrets", e);
      }
    }

    private Boolean connectWebsockify(Duration budget) throws AttemptFailure {
      try {
        connected = connect(target.websockify(), budget);
        return true;
      } catch (IOException e) {
        AttemptFailure failure = connectFailure(target.websockify(), e);
        Optional<String> settled =
            failure.kind() == WEBSOCKIFY_REFUSED ? websockifyWillNotStart() : Optional.empty();
        if (settled.isPresent()) {
          throw AttemptFailure.definite(
              WEBSOCKIFY_REFUSED,
              failure.getMessage()
                  + ", and the guest agent reports "
                  + WEBSOCKIFY_UNIT
                  + " "
                  + settled.get()
                  + ": websockify is not running and not restarting");
        }
        throw failure;
      }
    }

    /**
     * A refused 6080 is normal while websockify starts or restarts (its unit is then "activating").
     * When the agent has reported the unit inactive or failed for {@link #SETTLED_UNIT_GRACE}, it
     * will not come: waiting out the deadline would only delay the verdict.
     */
    private Optional<String> websockifyWillNotStart() {
      long now = System.nanoTime();
      // The first refusal is recorded as such at once; the agent is asked only from the next one
      // on.
      if (lastUnitCheckNanos == 0) {
        lastUnitCheckNanos = now;
        return Optional.empty();
      }
      if (now - lastUnitCheckNanos < UNIT_CHECK_EVERY.toNanos()) {
        return Optional.empty();
      }
      lastUnitCheckNanos = now;
      String state;
      try {
        AgentHealth answer = agent(settings.connectTimeout()).health();
        health = answer;
        state = answer.units().get(WEBSOCKIFY_UNIT);
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
      if (state == null || !(state.equals("inactive") || state.equals("failed"))) {
        websockifyDownSinceNanos = 0;
        return Optional.empty();
      }
      if (websockifyDownSinceNanos == 0) {
        websockifyDownSinceNanos = now;
      }
      return now - websockifyDownSinceNanos >= SETTLED_UNIT_GRACE.toNanos()
          ? Optional.of(state)
          : Optional.empty();
    }

    private Boolean upgrade(Duration budget) throws AttemptFailure {
      upgraded = openWebSocket(budget);
      return true;
    }

    private ServerInit handshake(Duration budget) throws AttemptFailure {
      ParkedHandshake waiting = parked;
      parked = null;
      if (waiting != null) {
        try {
          desktop = waiting.answer(target.vncPassword(), ioTimeout(budget));
          return desktop.serverInit();
        } catch (IOException e) {
          waiting.close();
          log.info(
              "{}: the parked handshake did not complete ({}); handshaking on a new connection",
              target.vmId(),
              RfbHandshake.describe(e));
        }
      }
      WebSocketClientConnection ws = upgraded != null ? upgraded : openWebSocket(budget);
      upgraded = null;
      try {
        ws.setReadTimeout(ioTimeout(budget));
        RfbSession session = RfbHandshake.perform(ws.input(), ws.output(), target.vncPassword());
        desktop = new VncDesktop(ws, session);
        return session.serverInit();
      } catch (RfbHandshakeException e) {
        closeQuietly(ws);
        String closed =
            ws.closeStatus()
                .map(s -> " (websockify closed the WebSocket: " + s.code() + " " + s.reason() + ")")
                .orElse("");
        FailureKind kind =
            e.step() == RfbHandshakeException.Step.BANNER ? NO_BANNER : HANDSHAKE_FAILED;
        String message =
            "RFB through " + describe(target.websockify()) + ": " + e.getMessage() + closed;
        if (e.rejected()) {
          throw AttemptFailure.definite(kind, message);
        }
        throw e.getCause() instanceof SocketTimeoutException
            ? AttemptFailure.answerTimedOut(kind, message)
            : AttemptFailure.transientFailure(kind, message);
      } catch (IOException e) {
        closeQuietly(ws);
        throw AttemptFailure.transientFailure(
            HANDSHAKE_FAILED,
            "RFB through " + describe(target.websockify()) + ": " + RfbHandshake.describe(e));
      }
    }

    /**
     * The app's window is mapped (and the session's URL reached it), and a full frame through
     * websockify is not blank. An app that exited and will not come back, or a desktop blank for
     * {@link #BLANK_GRACE} after the window appeared, fails at once.
     */
    private DesktopFrame desktop(Duration budget) throws AttemptFailure, InterruptedException {
      long wait = lastDesktopAttemptNanos + DESKTOP_POLL.toNanos() - System.nanoTime();
      if (lastDesktopAttemptNanos != 0 && wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      lastDesktopAttemptNanos = System.nanoTime();
      AppStatus status = appStatus(budget);
      if (status.window() == null) {
        blankSinceNanos = 0;
        if (status.gaveUp()) {
          throw AttemptFailure.definite(
              APP_NOT_RUNNING,
              "the "
                  + appName(status)
                  + " app "
                  + status.ending()
                  + " without mapping its window"
                  + logExcerpt(status));
        }
        throw AttemptFailure.transientFailure(
            APP_NOT_RUNNING,
            "the "
                + appName(status)
                + " app has not mapped its window yet (unit "
                + status.activeState()
                + ")"
                + logExcerpt(status));
      }
      if (!status.launchDelivered()) {
        throw AttemptFailure.transientFailure(
            APP_NOT_RUNNING,
            "the session's URL has not reached the " + appName(status) + " app yet");
      }
      DesktopFrame shown = captureFrame(budget);
      frame = shown;
      if (!shown.blank()) {
        return shown;
      }
      long now = System.nanoTime();
      if (blankSinceNanos == 0) {
        blankSinceNanos = now;
      }
      String message =
          "the "
              + appName(status)
              + " app's window "
              + status.window().wmClass()
              + " '"
              + status.window().title()
              + "' is mapped, but the desktop is blank: "
              + shown.summary();
      if (now - blankSinceNanos >= BLANK_GRACE.toNanos()) {
        throw AttemptFailure.definite(
            BLANK_DESKTOP,
            message + " for " + TimeUnit.NANOSECONDS.toSeconds(now - blankSinceNanos) + " s");
      }
      throw AttemptFailure.transientFailure(BLANK_DESKTOP, message);
    }

    private AppStatus appStatus(Duration budget) throws AttemptFailure {
      Optional<AppStatus> answer;
      try {
        // The agent asks systemd and the X server; while the app starts it competes for the guest's
        // CPU.
        answer =
            new AgentClient(
                    target.namespace(),
                    target.agent(),
                    min(settings.connectTimeout(), budget),
                    min(APP_TIMEOUT, budget))
                .app();
      } catch (AgentClient.UnhealthyAnswerException e) {
        throw AttemptFailure.transientFailure(AGENT_UNHEALTHY, e.getMessage());
      } catch (IOException e) {
        throw agentFailure("GET /v1/app", e);
      }
      if (answer.isEmpty() || !answer.get().configured()) {
        throw AttemptFailure.definite(
            APP_NOT_RUNNING,
            "the guest agent reports no session app"
                + (answer.isEmpty() ? " (GET /v1/app: 404)" : "")
                + ": the image was built without a template; rebuild it");
      }
      app = answer.get();
      return app;
    }

    private DesktopFrame captureFrame(Duration budget) throws AttemptFailure {
      try {
        if (desktop == null) {
          desktop =
              VncDesktop.open(
                  target, min(settings.connectTimeout(), budget).plus(ioTimeout(budget)));
        }
        desktop.webSocket().setReadTimeout(min(FRAME_TIMEOUT, budget));
        return DesktopFrame.capture(desktop.session(), RfbSession.BGR233);
      } catch (IOException e) {
        closeQuietly(desktop);
        desktop = null;
        throw e instanceof SocketTimeoutException
            ? AttemptFailure.timedOut(
                null, "no framebuffer through " + describe(target.websockify()) + " in time")
            : AttemptFailure.transientFailure(
                HANDSHAKE_FAILED,
                "framebuffer through "
                    + describe(target.websockify())
                    + ": "
                    + RfbHandshake.describe(e));
      }
    }

    private static String appName(AppStatus status) {
      return status.template() == null ? "session" : status.template();
    }

    private static String logExcerpt(AppStatus status) {
      String tail = status.logTail() == null ? "" : status.logTail().strip();
      if (tail.isEmpty()) {
        return "";
      }
      List<String> lines = tail.lines().toList();
      return "; its log ends: "
          + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private WebSocketClientConnection openWebSocket(Duration budget) throws AttemptFailure {
      SocketChannel channel = connected;
      connected = null;
      if (channel == null) {
        try {
          channel = connect(target.websockify(), budget);
        } catch (IOException e) {
          throw connectFailure(target.websockify(), e);
        }
      }
      try {
        return VncDesktop.upgrade(channel, target, ioTimeout(budget));
      } catch (SocketTimeoutException e) {
        closeQuietly(channel);
        throw AttemptFailure.answerTimedOut(
            WEBSOCKET_UPGRADE_FAILED,
            "no answer to the WebSocket upgrade from "
                + describe(target.websockify())
                + " within "
                + ioTimeout(budget).toMillis()
                + " ms");
      } catch (EOFException e) {
        closeQuietly(channel);
        throw AttemptFailure.transientFailure(
            WEBSOCKET_UPGRADE_FAILED,
            "WebSocket upgrade at " + describe(target.websockify()) + ": " + e.getMessage());
      } catch (IOException e) {
        closeQuietly(channel);
        throw AttemptFailure.transientFailure(
            WEBSOCKET_UPGRADE_FAILED,
            "WebSocket upgrade at " + describe(target.websockify()) + ": " + e.getMessage());
      }
    }

    private AttemptFailure connectFailure(InetSocketAddress address, IOException e) {
      if (e instanceof ConnectException && isRefused(e)) {
        return AttemptFailure.transientFailure(
            WEBSOCKIFY_REFUSED,
            "connect to " + describe(address) + " refused: nothing listens there");
      }
      if (e instanceof NoRouteToHostException) {
        return AttemptFailure.transientFailure(
            GUEST_UNREACHABLE, "connect to " + describe(address) + ": " + e.getMessage());
      }
      if (e instanceof SocketTimeoutException) {
        return AttemptFailure.timedOut(
            null, "connect to " + describe(address) + ": no answer in time");
      }
      return AttemptFailure.transientFailure(
          null, "connect to " + describe(address) + ": " + RfbHandshake.describe(e));
    }

    private AttemptFailure agentFailure(String request, IOException e) {
      if (e instanceof ConnectException && isRefused(e)) {
        return AttemptFailure.transientFailure(
            AGENT_UNHEALTHY,
            request + ": " + describe(target.agent()) + " refused: the agent is not listening");
      }
      if (e instanceof NoRouteToHostException) {
        return AttemptFailure.transientFailure(GUEST_UNREACHABLE, request + ": " + e.getMessage());
      }
      if (e instanceof SocketTimeoutException) {
        return AttemptFailure.timedOut(
            null, request + ": no answer from " + describe(target.agent()) + " in time");
      }
      return AttemptFailure.transientFailure(
          AGENT_UNHEALTHY, request + ": " + RfbHandshake.describe(e));
    }

    private SocketChannel connect(InetSocketAddress address, Duration budget) throws IOException {
      return NetworkNamespaces.connect(
          target.namespace(), address, min(settings.connectTimeout(), budget));
    }

    private AgentClient agent(Duration budget) {
      return new AgentClient(
          target.namespace(),
          target.agent(),
          min(settings.connectTimeout(), budget),
          ioTimeout(budget));
    }

    private Duration ioTimeout(Duration budget) {
      return min(patience, budget);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static boolean isRefused(IOException e) {
    return e.getMessage() != null && e.getMessage().contains("refused");
  }

  private static String describe(InetSocketAddress address) {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.trace("close failed", e);
    }
  }
}
