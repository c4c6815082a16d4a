//! One function instance: an OS process in its own process group, its Runtime API listener,
//! the invocation it is running, and a supervisor task that enforces the timeout, stops it when
//! idle, notices when it dies, and kills its whole group.
//!
//! An instance knows its pool only through [`InstancePool`] (what it asks of the pool and
//! reports to it), and the Runtime API knows an instance only as an [`ExecutionEnvironment`]:
//! the pool sits above its instances, an instance above its listener, and nothing points back
//! up.
//!
//! What is not the instance's life has a file of its own: [`launch`] (the command that starts
//! its process), [`pipes`] (its output pipes), [`memory`] (Max Memory Used and the MemorySize
//! sampler), [`kill`] (stopping its process tree), [`isolation`] (whose connection is it),
//! [`ahead`] (events sent ahead) and [`platform`] (START, END and REPORT).

mod ahead;
mod isolation;
mod kill;
mod launch;
mod memory;
mod pipes;
mod platform;

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use lambdagate_model::Function;
use tokio::process::Child;
use tokio::sync::{Notify, oneshot, watch};

use crate::logs::{LogRing, LogStream};
use crate::runtime_api::{self, Connection, EventDeadline, ExecutionEnvironment, NextEvent};
use crate::{Invocation, Outcome, errors, process_tree};
use ahead::Ahead;
use kill::TreeGuard;
pub(crate) use launch::{Launch, Program, find_wrappers, program_for};
pub(crate) use memory::MEMORY_SAMPLE_INTERVAL;
use pipes::{OutputPipe, forward_output};

/// What an instance needs of the pool that started it: the function it runs, and where it
/// reports its life (its arrivals at `GET /next`, the invocations it begins and ends, its exit).
///
/// The pool owns its instances and implements this; an instance holds only a `Weak` to it, so
/// this module does not depend on the pool. An instance is generic over it rather than holding
/// a `dyn`: the calls on the per-invocation path stay static.
pub(crate) trait InstancePool: Send + Sync + Sized + 'static {
    /// The function the instances run.
    fn function(&self) -> &Function;

    /// How to start an instance's process.
    fn launch(&self) -> &Launch;

    /// The function's log lines (output, START, END, REPORT).
    fn logs(&self) -> &LogRing;

    /// How long an instance may stay idle before it is stopped.
    fn idle_timeout(&self) -> Duration;

    /// Lambda's limit on an init (10 s); a suppressed init has the function's Timeout instead.
    fn init_limit(&self) -> Duration;

    /// Events go ahead to this instance while its invocations take less than this.
    fn ahead_below(&self) -> Duration;

    /// A new instance exists (its process is not started yet): the pool keeps it, to stop it.
    fn registered(&self, instance: Arc<Instance<Self>>);

    /// Counts an instance's arrival at `GET /next` (it is no longer starting or returning).
    fn arrived(&self, arrival: Arrival);

    /// Called by an instance's `GET /next`: a queued job now, or a slot that receives one.
    fn take_or_park(
        &self,
        instance: u64,
        pid: Option<u32>,
        arrival: Arrival,
        slot: oneshot::Sender<Job>,
    ) -> Option<Job>;

    /// A queued job for an instance to take as its event ahead (see
    /// [`ExecutionEnvironment::take_ahead`]), counted as busy from now on; `None` when nothing
    /// waits. `depth` is how many the instance has ahead with this one.
    fn take_ahead(&self, depth: usize) -> Option<Job>;

    /// Puts back a job whose instance went away before it saw it.
    fn requeue(self: &Arc<Self>, job: Job);

    /// A job that was begun (counted as started) on an instance that died before its runtime
    /// saw it: uncounts it and puts it back.
    fn job_abandoned(self: &Arc<Self>, job: Job);

    /// Removes an instance from the idle list; false when it is not parked (it has work).
    fn unpark(&self, instance: u64) -> bool;

    /// An invocation was handed to an instance.
    fn job_started(self: &Arc<Self>);

    /// An invocation ended; `returning` when its instance will poll again.
    fn job_finished(&self, returning: bool);

    /// An instance exited (or never started): `pending` is the arrival it owed the pool
    /// (still starting, or returning after an answer), `failure` why its init failed.
    fn instance_exited(
        self: &Arc<Self>,
        instance: u64,
        pending: Option<Arrival>,
        failure: Option<InitFailure>,
    );
}

/// One invocation on its way to an instance.
pub(crate) struct Job {
    /// The request id the function sees.
    pub request_id: Arc<str>,
    /// The event and the caller's context.
    pub invocation: Invocation,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Outcome>,
    /// When the job was submitted: how long it waits decides whether to scale up.
    pub submitted: Instant,
}

/// Why an instance comes to `GET /next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Its first poll: init is over.
    First,
    /// It answered an invocation and polls again.
    Returning,
    /// Any other poll.
    Other,
}

/// Why an instance could not initialize.
#[derive(Debug, Clone)]
pub(crate) enum InitFailure {
    /// The runtime posted `/runtime/init/error`: its body is the answer, verbatim.
    Posted {
        /// The error type the runtime named.
        error_type: String,
        /// The error JSON the runtime posted.
        payload: Bytes,
    },
    /// The process exited before asking for work.
    Exited(String),
    /// The process could not be started.
    Entrypoint(String),
    /// Init ran past Lambda's init limit: the pool retries it as a suppressed init.
    TimedOut(Duration),
    /// A suppressed init (the retry, within the first invocation) ran past the Timeout.
    SuppressedTimedOut(Duration),
}

impl InitFailure {
    /// The answer an invocation gets while this failure holds.
    pub fn outcome(&self, request_id: &str) -> Outcome {
        match self {
            InitFailure::Posted {
                error_type,
                payload,
            } => Outcome::Error {
                error_type: error_type.clone(),
                payload: payload.clone(),
            },
            InitFailure::Exited(exit) => errors::exited(request_id, exit),
            InitFailure::Entrypoint(why) => errors::invalid_entrypoint(request_id, why),
            InitFailure::TimedOut(limit) | InitFailure::SuppressedTimedOut(limit) => {
                errors::timed_out(request_id, *limit)
            }
        }
    }
}

/// The invocation an instance is running.
struct Current {
    request_id: Arc<str>,
    reply: oneshot::Sender<Outcome>,
    started: Instant,
    deadline: Instant,
    /// The invocation again, for another instance if this one dies before reading it.
    invocation: Invocation,
    /// The connection its event goes out on, and how much had been written there before:
    /// tells whether the runtime can have seen the event.
    conn: Arc<Connection>,
    written_before: u64,
    /// It was sent ahead (see [`Ahead`]).
    ahead: bool,
}

struct State {
    pid: Option<u32>,
    /// The runtime asked for work at least once: init is over.
    ready: bool,
    /// Init time, reported with the first invocation only.
    init_duration: Option<Duration>,
    current: Option<Current>,
    /// The request id that output lines belong to (the last one seen).
    last_request_id: Option<Arc<str>>,
    init_error: Option<(String, Bytes)>,
    init_timed_out: bool,
    /// It answered its last invocation and has not polled again yet.
    returning: bool,
    idle_since: Instant,
    stopping: bool,
    server: Option<tokio::task::JoinHandle<()>>,
    /// The last Max Memory Used reading and when it was taken (see [`State::max_memory_used`]).
    memory: Option<(Instant, u64)>,
    /// The event a pipelined `GET /next` takes at once: `prefetch_next` waited for it while
    /// the runtime's answer to the previous invocation was held (`None` inside: stopping).
    prefetched: Option<Option<NextEvent>>,
    /// Every process seen in the instance's tree (see [`Instance::check_memory`]): stopping
    /// the instance kills them too, even those its runtime no longer parents.
    seen: Vec<process_tree::Seen>,
    /// When the supervisor will next wake on its own (it re-reads the state then). A new
    /// invocation wakes it only if its deadline is earlier: waking it for every invocation
    /// cost two task wake-ups (often a thread wake-up) per request.
    supervisor_wakes_at: Option<Instant>,
    /// The events sent ahead, not begun yet, in order.
    ahead: std::collections::VecDeque<Ahead>,
    /// The last invocation was answered within the pool's `ahead_below`. Events go ahead only
    /// to such an instance: the wake-up that sending ahead saves is worth tens of
    /// microseconds, and an event held behind a slow invocation would wait that long when
    /// another instance might have served it sooner.
    quick: bool,
    /// Ends when the frame connection has (the runtime exited or closed it): answers it sent
    /// before exiting are taken before the exit is judged.
    frames_done: Option<watch::Receiver<bool>>,
}

/// A runtime that waited this long for an event is checked for a pending kill before it gets
/// one (see `next`).
const IDLE_CHECK_AFTER: Duration = Duration::from_millis(10);

/// One running function instance, of a pool `P`.
pub(crate) struct Instance<P> {
    /// Its name within the pool.
    pub id: u64,
    pool: Weak<P>,
    state: Mutex<State>,
    wake: Notify,
    exited: watch::Sender<bool>,
    spawned_at: Instant,
    timeout: Duration,
    /// A suppressed init: the retry of an init that ran past the init limit. Its init may
    /// take the function's Timeout, which also bounds init and first invocation together, as
    /// on Lambda.
    suppressed: bool,
    /// How long its init may take.
    init_limit: Duration,
    /// Whether it writes START, END and REPORT (not at `SystemLogLevel: WARN`), read once
    /// from its function's `LoggingConfig`.
    platform_info: bool,
    /// Its standard output and error, once started.
    pipes: std::sync::OnceLock<Vec<Arc<OutputPipe>>>,
}

impl<P: InstancePool> Instance<P> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts an instance in the background; its failures are reported to the pool.
    /// `suppressed`: this is the retry of an init that timed out.
    pub fn start(pool: Arc<P>, id: u64, suppressed: bool) {
        let timeout = Duration::from_secs(u64::from(pool.function().timeout_secs.max(1)));
        let instance = Arc::new(Instance {
            id,
            pool: Arc::downgrade(&pool),
            state: Mutex::new(State {
                pid: None,
                ready: false,
                init_duration: None,
                current: None,
                last_request_id: None,
                init_error: None,
                init_timed_out: false,
                returning: false,
                idle_since: Instant::now(),
                stopping: false,
                server: None,
                memory: None,
                prefetched: None,
                seen: Vec::new(),
                supervisor_wakes_at: None,
                ahead: std::collections::VecDeque::new(),
                quick: false,
                frames_done: None,
            }),
            wake: Notify::new(),
            exited: watch::channel(false).0,
            spawned_at: Instant::now(),
            timeout,
            suppressed,
            init_limit: if suppressed {
                timeout
            } else {
                pool.init_limit()
            },
            platform_info: pool.function().logging.platform_info_lines(),
            pipes: std::sync::OnceLock::new(),
        });
        pool.registered(instance.clone());
        tokio::spawn(async move {
            match instance.clone().launch(&pool).await {
                Ok(child) => instance.supervise(child).await,
                Err(why) => {
                    pool.logs().push(None, LogStream::Platform, why.clone());
                    instance.exited.send_replace(true);
                    pool.instance_exited(
                        instance.id,
                        Some(Arrival::First),
                        Some(InitFailure::Entrypoint(why)),
                    );
                }
            }
        });
    }

    async fn launch(self: Arc<Self>, pool: &Arc<P>) -> Result<Child, String> {
        let launch = pool.launch();
        // Our bootstraps take the Runtime API on a Unix socket (cheaper than loopback TCP, where
        // the sender pays for the receiver's TCP processing). A function run as another user
        // cannot open our private folder, so it keeps TCP.
        let unix = launch.speaks_frames();
        let listening = runtime_api::serve(self.clone(), unix)
            .await
            .map_err(|e| format!("cannot open a Runtime API listener: {e}"))?;
        {
            let mut st = self.lock();
            st.server = Some(listening.task);
            st.frames_done = listening.frames_done;
        }
        let mut cmd = launch.command(&pool.function().code_dir)?;
        cmd.env("AWS_LAMBDA_RUNTIME_API", listening.addr.to_string())
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                crate::environment::log_stream_name(),
            );
        // Events are sent ahead only on the frame connection, so only its runtimes mark.
        let mark_token = listening.unix.is_some().then(pipes::new_mark_token);
        if let Some(path) = &listening.unix {
            cmd.env(runtime_api::SOCKET_ENV, path);
        }
        if let Some(token) = &mark_token {
            cmd.env(pipes::MARK_ENV, token);
        }
        // The parent-death signal (see `Launch::command`) follows the thread that forks: this
        // runs on a tokio worker thread, which lives as long as the runtime. Never spawn an
        // instance from `spawn_blocking` or inside `block_in_place`, whose threads come and go.
        let mut child = cmd.spawn().map_err(|e| {
            let program = cmd.as_std().get_program().to_string_lossy().into_owned();
            format!(
                "cannot start `{program}` for {}: {e}",
                pool.function().function_name
            )
        })?;
        self.lock().pid = child.id();
        let pipes = (|| -> std::io::Result<Vec<Arc<OutputPipe>>> {
            let mut pipes = Vec::new();
            if let Some(out) = child.stdout.take() {
                pipes.push(Arc::new(OutputPipe::new(
                    out.into_owned_fd()?,
                    LogStream::Stdout,
                    mark_token.as_deref(),
                )?));
            }
            if let Some(err) = child.stderr.take() {
                pipes.push(Arc::new(OutputPipe::new(
                    err.into_owned_fd()?,
                    LogStream::Stderr,
                    mark_token.as_deref(),
                )?));
            }
            Ok(pipes)
        })()
        .map_err(|e| format!("cannot read the output of an instance: {e}"))?;
        for pipe in &pipes {
            tokio::spawn(forward_output(pipe.clone(), self.clone()));
        }
        let _ = self.pipes.set(pipes);
        Ok(child)
    }

    /// The process id, once the process has started.
    pub fn pid(&self) -> Option<u32> {
        self.lock().pid
    }
}

/// The Runtime API side of an instance: its listener hands each request here.
impl<P: InstancePool> ExecutionEnvironment for Instance<P> {
    async fn next(self: &Arc<Self>, conn: &Arc<Connection>) -> Option<NextEvent> {
        if let Some(prefetched) = self.lock().prefetched.take() {
            return prefetched;
        }
        let pool = self.pool.upgrade()?;
        let arrival = {
            let mut st = self.lock();
            let arrival = self.arrival(&mut st);
            if st.stopping {
                drop(st);
                pool.arrived(arrival);
                return None;
            }
            let previous = st.current.take();
            drop(st);
            if let Some(previous) = previous {
                self.fail_unanswered(previous);
            }
            arrival
        };
        let (slot, rx) = oneshot::channel();
        let mut idled = false;
        let job = match pool.take_or_park(self.id, self.pid(), arrival, slot) {
            Some(job) => job,
            None => {
                let parked_at = Instant::now();
                let mut parked = ParkedNext {
                    rx,
                    pool: Arc::downgrade(&pool),
                    done: false,
                };
                let job = (&mut parked.rx).await;
                parked.done = true;
                idled = parked_at.elapsed() >= IDLE_CHECK_AFTER;
                job.ok()?
            }
        };
        // A runtime killed while its poll was parked may still be dying, not yet a zombie, so
        // the pool's check let the hand-over through; the event then goes to another instance.
        // A dying process has closed its socket (one `recv` peek). One killed just now, that
        // has not run since, shows a pending SIGKILL in `/proc`; that read is made only after
        // an idle spell, since under load instances park for microseconds and it would cost
        // every invocation.
        // (A zombie has closed its sockets too, so the peek covers the pool's check as well.)
        if conn.peer_gone() || (idled && self.pid().is_some_and(process_tree::dying)) {
            pool.requeue(job);
            return None;
        }
        pool.job_started();
        // The deadline is known once `begin` has counted it.
        let mut event = event(&*pool, &job, EventDeadline::At(0));
        let written_before = conn.written();
        event.deadline = EventDeadline::At(self.begin(&pool, job, conn, written_before, false));
        Some(event)
    }

    // If this wait is dropped (the connection went away), `next` gives a job it was handed
    // back to the pool, as for any parked `GET /next`.
    async fn prefetch_next(self: &Arc<Self>, conn: &Arc<Connection>) {
        let event = self.next(conn).await;
        self.lock().prefetched = Some(event);
    }

    fn take_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> Option<NextEvent> {
        self.send_ahead(conn)
    }

    fn begin_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> bool {
        self.begin_sent_ahead(conn)
    }

    fn withdraw_ahead(self: &Arc<Self>) {
        let ahead = std::mem::take(&mut self.lock().ahead);
        self.give_back(ahead);
    }

    fn complete(&self, request_id: &str, outcome: Outcome) -> Result<(), ()> {
        let current = {
            let mut st = self.lock();
            match &st.current {
                Some(c) if &*c.request_id == request_id => {}
                _ => return Err(()),
            }
            let now = Instant::now();
            st.idle_since = now;
            st.returning = true;
            let pool = self.pool.upgrade();
            st.quick = match (&st.current, &pool) {
                (Some(c), Some(pool)) => now.duration_since(c.started) < pool.ahead_below(),
                _ => false,
            };
            // The supervisor sleeps until the finished invocation's deadline at the latest and
            // then waits for the idle timeout. Only an idle timeout shorter than that sleep
            // needs a wake-up now (else `--idle-timeout 3` on a 60 s function waited 60 s);
            // waking it for every invocation would cost a task wake-up per request.
            let idle_at = pool.as_ref().map(|p| now + p.idle_timeout());
            let wake = matches!((idle_at, st.supervisor_wakes_at), (Some(i), Some(w)) if i < w);
            (st.current.take(), wake)
        };
        let (Some(current), wake) = current else {
            return Err(());
        };
        if wake {
            self.wake.notify_one();
        }
        self.finish(current, outcome, None);
        Ok(())
    }

    fn init_error(&self, error_type: String, payload: Bytes) {
        self.lock().init_error = Some((error_type, payload));
    }

    // Checked once per connection; see `isolation`.
    async fn owns_connection(self: &Arc<Self>, peer: runtime_api::Peer) -> bool {
        // The runtime can connect before `launch` has recorded its pid.
        let mut pid = self.pid();
        for _ in 0..1000 {
            if pid.is_some() || *self.exited.borrow() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
            pid = self.pid();
        }
        let Some(pid) = pid else {
            return false;
        };
        let seen = self.lock().seen.clone();
        isolation::peer_is_in_tree(peer, pid, seen).await
    }
}

impl<P: InstancePool> Instance<P> {
    /// Why the runtime polls (see [`Arrival`]); its first poll ends its init.
    fn arrival(&self, st: &mut State) -> Arrival {
        if !st.ready {
            st.ready = true;
            st.init_duration = Some(self.spawned_at.elapsed());
            st.idle_since = Instant::now();
            self.wake.notify_one();
            Arrival::First
        } else if st.returning {
            st.returning = false;
            Arrival::Returning
        } else {
            Arrival::Other
        }
    }

    /// The runtime asked for more work without answering `previous`: that invocation failed.
    fn fail_unanswered(&self, previous: Current) {
        let outcome = errors::exited(
            &previous.request_id,
            "runtime asked for the next event without answering",
        );
        self.finish(previous, outcome, Some("error"));
    }

    /// Makes `job` the instance's invocation: START, and its deadline (returned as the Unix
    /// time in milliseconds for `Lambda-Runtime-Deadline-Ms`). The job is counted as started
    /// already; `written_before` is what had been written to `conn` before its event.
    fn begin(
        &self,
        pool: &Arc<P>,
        job: Job,
        conn: &Arc<Connection>,
        written_before: u64,
        ahead: bool,
    ) -> u128 {
        let now = Instant::now();
        // After a suppressed init, the Timeout counts from the start of that init.
        let first_after_suppressed = self.suppressed && self.lock().init_duration.is_some();
        let deadline = if first_after_suppressed {
            (self.spawned_at + self.timeout).max(now)
        } else {
            now + self.timeout
        };
        let deadline_ms = (SystemTime::now() + deadline.duration_since(now))
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        if self.platform_info {
            platform::start(pool.logs(), &job.request_id);
        }
        let wake_supervisor = {
            let mut st = self.lock();
            st.last_request_id = Some(job.request_id.clone());
            st.current = Some(Current {
                request_id: job.request_id.clone(),
                reply: job.reply,
                started: now,
                deadline,
                invocation: job.invocation,
                conn: conn.clone(),
                written_before,
                ahead,
            });
            st.supervisor_wakes_at.is_none_or(|at| deadline < at)
        };
        if wake_supervisor {
            self.wake.notify_one();
        }
        deadline_ms
    }

    /// Writes END and REPORT, then answers the caller.
    fn finish(&self, current: Current, outcome: Outcome, status: Option<&str>) {
        let Some(pool) = self.pool.upgrade() else {
            let _ = current.reply.send(outcome);
            return;
        };
        let duration = current.started.elapsed();
        // What the function printed before answering is in its pipes now: it goes before END.
        if let Some(pipes) = self.pipes.get() {
            for pipe in pipes {
                if matches!(
                    pipe.drain(self, pipes::FINISH_CHUNKS, current.ahead),
                    pipes::Drained::Empty
                ) {
                    pipe.end_invocation(self);
                }
            }
        }
        let (max_memory_used_mb, init) = {
            let mut st = self.lock();
            let init = st.init_duration.take();
            (self.platform_info.then(|| st.max_memory_used()), init)
        };
        if let Some(max_memory_used_mb) = max_memory_used_mb {
            platform::end_and_report(
                pool.logs(),
                &platform::Report {
                    request_id: &current.request_id,
                    duration,
                    memory_size_mb: pool.function().memory_mb,
                    max_memory_used_mb,
                    init,
                    status,
                    outcome: &outcome,
                },
            );
        }
        // The log is complete before the caller hears back, so a log tail includes REPORT.
        let _ = current.reply.send(outcome);
        pool.job_finished(status.is_none());
    }

    /// Asks the instance to stop (shutdown); the supervisor kills its group.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.wake.notify_one();
    }

    /// Waits until the process has exited (or never started).
    pub async fn wait_exited(&self) {
        let mut rx = self.exited.subscribe();
        let _ = rx.wait_for(|exited| *exited).await;
    }

    async fn supervise(self: Arc<Self>, mut child: Child) {
        let pid = child.id();
        let _tree = TreeGuard(self.clone(), pid);
        let init_deadline = self.spawned_at + self.init_limit;
        let status = loop {
            let (deadline, idle_deadline, stopping) = {
                let mut st = self.lock();
                let now = Instant::now();
                let deadline = match &st.current {
                    Some(c) => Some(c.deadline),
                    None if !st.ready => Some(init_deadline),
                    // While idle, look again within one timeout: then an invocation starting
                    // now can never have a deadline before the next look (see `begin`).
                    None => Some(now + self.timeout),
                };
                let idle = (st.ready && st.current.is_none())
                    .then(|| {
                        self.pool
                            .upgrade()
                            .map(|p| st.idle_since + p.idle_timeout())
                    })
                    .flatten();
                st.supervisor_wakes_at = match (deadline, idle) {
                    _ if st.stopping => None,
                    (Some(d), Some(i)) => Some(d.min(i)),
                    (d, i) => d.or(i),
                };
                (deadline, idle, st.stopping)
            };
            if stopping {
                self.kill_tree(pid);
            }
            let far = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                status = child.wait() => break status,
                _ = tokio::time::sleep_until(deadline.unwrap_or(far).into()), if deadline.is_some() && !stopping => {
                    self.on_deadline();
                }
                _ = tokio::time::sleep_until(idle_deadline.unwrap_or(far).into()), if idle_deadline.is_some() && !stopping => {
                    self.on_idle_expired();
                }
                _ = self.wake.notified() => {}
            }
        };
        // The runtime is gone; whatever it started goes too.
        self.kill_tree(pid);
        // With an event ahead, the answers the runtime sent before it exited decide what it had
        // begun: let the frame connection take them (it ends at once, as the process's socket
        // closed with it; the bound covers a child that inherited the socket).
        let frames_done = {
            let st = self.lock();
            (!st.ahead.is_empty())
                .then(|| st.frames_done.clone())
                .flatten()
        };
        if let Some(mut done) = frames_done {
            let _ = tokio::time::timeout(Duration::from_secs(1), done.wait_for(|d| *d)).await;
        }
        self.on_exit(status);
    }

    fn on_deadline(&self) {
        let mut st = self.lock();
        let now = Instant::now();
        match &st.current {
            Some(c) if c.deadline <= now => {
                let Some(current) = st.current.take() else {
                    return;
                };
                st.stopping = true;
                drop(st);
                if let Some(pool) = self.pool.upgrade() {
                    pool.logs().push(
                        Some(current.request_id.clone()),
                        LogStream::Platform,
                        errors::timed_out_log_line(&current.request_id, self.timeout),
                    );
                }
                let outcome = errors::timed_out(&current.request_id, self.timeout);
                self.finish(current, outcome, Some("timeout"));
            }
            None if !st.ready && self.spawned_at + self.init_limit <= now => {
                st.init_timed_out = true;
                st.stopping = true;
            }
            _ => {}
        }
    }

    fn on_idle_expired(&self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let expired = {
            let st = self.lock();
            st.current.is_none() && st.idle_since + pool.idle_timeout() <= Instant::now()
        };
        // Only an instance still parked may go: one that just got a job stays.
        if expired && pool.unpark(self.id) {
            self.lock().stopping = true;
        }
    }

    fn on_exit(&self, status: std::io::Result<std::process::ExitStatus>) {
        let exit = match &status {
            Ok(status) => errors::describe_exit(status),
            Err(e) => format!("unknown ({e})"),
        };
        let (current, ahead, failure, server, pending) = {
            let mut st = self.lock();
            let pending = if !st.ready {
                Some(Arrival::First)
            } else if st.returning {
                st.returning = false;
                Some(Arrival::Returning)
            } else {
                None
            };
            let failure = if st.ready {
                None
            } else if st.init_timed_out {
                Some(if self.suppressed {
                    InitFailure::SuppressedTimedOut(self.timeout)
                } else {
                    InitFailure::TimedOut(self.init_limit)
                })
            } else if let Some((error_type, payload)) = st.init_error.take() {
                Some(InitFailure::Posted {
                    error_type,
                    payload,
                })
            } else if st.stopping {
                None
            } else {
                Some(InitFailure::Exited(exit.clone()))
            };
            (
                st.current.take(),
                std::mem::take(&mut st.ahead),
                failure,
                st.server.take(),
                pending,
            )
        };
        if let Some(server) = server {
            server.abort();
        }
        // An event sent ahead was never begun: the runtime begins one only after answering the
        // invocation before it, and every answer it sent has been taken (see `supervise`).
        let had_ahead = !ahead.is_empty();
        self.give_back(ahead);
        // Nothing of the event was written, or the runtime closed without reading it: the
        // invocation never reached a live runtime, so another instance takes it. With an event
        // ahead behind it, a reset says only that something was left unread (that event, most
        // likely): the current one counts as seen.
        let unseen = current.as_ref().is_some_and(|c| {
            c.conn.written() == c.written_before || (!had_ahead && c.conn.reset())
        });
        if let Some(current) = current {
            if unseen && let Some(pool) = self.pool.upgrade() {
                pool.job_abandoned(Job {
                    request_id: current.request_id,
                    invocation: current.invocation,
                    reply: current.reply,
                    submitted: Instant::now(),
                });
                self.exited.send_replace(true);
                pool.instance_exited(self.id, pending, failure);
                return;
            }
            if let Some(pool) = self.pool.upgrade() {
                pool.logs().push(
                    Some(current.request_id.clone()),
                    LogStream::Platform,
                    format!(
                        "RequestId: {} Error: Runtime exited with error: {exit}\nRuntime.ExitError",
                        current.request_id
                    ),
                );
            }
            let outcome = errors::exited(&current.request_id, &exit);
            self.finish(current, outcome, Some("error"));
        }
        self.exited.send_replace(true);
        if let Some(pool) = self.pool.upgrade() {
            pool.instance_exited(self.id, pending, failure);
        }
    }
}

/// The event `GET /next` (or a `V` frame) hands out for `job`.
fn event<P: InstancePool>(pool: &P, job: &Job, deadline: EventDeadline) -> NextEvent {
    NextEvent {
        request_id: job.request_id.clone(),
        deadline,
        function_arn: pool.function().arn.clone(),
        fallback_trace_id: fallback_trace_id(&job.invocation),
        invocation: job.invocation.clone(),
    }
}

/// Lambda always passes a trace header; this one goes with an invocation whose caller sent none.
fn fallback_trace_id(invocation: &Invocation) -> String {
    if invocation.trace_id.is_some() {
        return String::new();
    }
    let epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "Root=1-{epoch:08x}-{:024x};Parent={:016x};Sampled=0",
        fastrand::u128(..) >> 32,
        fastrand::u64(..)
    )
}

/// A parked `GET /next`. If the request goes away after a job was handed to it but before the
/// runtime saw the job, the job goes back to the pool instead of being lost.
struct ParkedNext<P: InstancePool> {
    rx: oneshot::Receiver<Job>,
    pool: Weak<P>,
    done: bool,
}

impl<P: InstancePool> Drop for ParkedNext<P> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Ok(job) = self.rx.try_recv()
            && let Some(pool) = self.pool.upgrade()
        {
            pool.requeue(job);
        }
    }
}
