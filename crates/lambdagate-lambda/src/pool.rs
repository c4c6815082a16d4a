//! The warm pool of one function: instances waiting for work (their `GET /next` parked here),
//! invocations waiting for an instance (a bounded queue), and the concurrency cap. New
//! instances start when all are busy; a failed init is remembered for a moment, so a broken
//! function answers at once instead of restarting in a storm.
//!
//! The pool owns its instances and hears from them through [`InstancePool`], which it
//! implements.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lambdagate_model::Function;
use tokio::sync::{Notify, oneshot};

use crate::InvokeError;
use crate::instance::{
    Arrival, InitFailure, Instance, InstancePool, Job, Launch, MEMORY_SAMPLE_INTERVAL,
};
use crate::logs::{LogRing, LogStream};

/// How long a failed init answers later invocations before a new instance is tried.
pub(crate) const INIT_FAILURE_HOLD: Duration = Duration::from_secs(2);

/// How a pool grows: Lambda gives every concurrent invocation its own instance, but on a
/// machine with a few cores, instances beyond a small multiple of the core count only add
/// context switches for short functions (measured: 4 instances on 2 cores served twice the
/// requests of 16 at a third of the tail latency; with events sent ahead, 2 of our bootstraps'
/// instances cost less CPU per request than 4). So a pool starts up to `burst` instances at
/// once; beyond that it starts more only for invocations that have waited `scale_up_after`,
/// which short functions never do and long or I/O-bound ones soon do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scaling {
    /// Hard cap on instances (ReservedConcurrentExecutions or the configured default).
    pub max_concurrency: usize,
    /// Instances started without waiting.
    pub burst: usize,
    /// How long an invocation waits for a busy instance before another one starts.
    pub scale_up_after: Duration,
    /// Invocations that may wait beyond the ones instances are about to take.
    pub queue_depth: usize,
    /// An idle instance stops after this long.
    pub idle_timeout: Duration,
    /// Lambda's limit on an init, after which it is retried as a suppressed init.
    pub init_limit: Duration,
    /// Events go ahead to runtimes whose last invocation took less than this.
    pub ahead_below: Duration,
}

/// An instance whose `GET /next` waits for a job.
struct Parked {
    instance: u64,
    /// The instance's process, to check it is still alive before handing it work.
    pid: Option<u32>,
    slot: oneshot::Sender<Job>,
}

impl Parked {
    /// Hands `job` over, or gives it back when the instance cannot take it: its `GET /next` went
    /// away, or its process died while parked (killed from outside, say). A dead runtime's
    /// long poll stays open until we notice the exit, and an event handed to it would be lost
    /// with it, so the pool checks first.
    // Shaped like `oneshot::Sender::send`: the job comes back by value, never boxed.
    #[allow(clippy::result_large_err)]
    fn hand_over(self, job: Job) -> Result<(), Job> {
        if self.pid.is_some_and(process_is_gone) {
            return Err(job);
        }
        self.slot.send(job)
    }
}

/// While every core is busy, invocations may wait this many `scale_up_after`s before another
/// instance starts anyway (a stuck instance on a machine busy with other work).
const SATURATED_PATIENCE: u32 = 10;

/// Whether the cores were the bottleneck while invocations waited for a busy instance.
///
/// This tells a CPU-bound pool from an I/O-bound one. On a 2-core machine at 16 connections,
/// short functions keep both cores busy, and the occasional stall of a few milliseconds
/// (another process, a VM hiccup) made invocations wait past `scale_up_after`: the pool then
/// grew from 4 to 11 instances, whose cold starts and context switches cut throughput by a
/// third and raised p99 from 2 ms to 16 ms. Functions that wait on I/O leave cores idle, and
/// for them the pool still grows after `scale_up_after`.
///
/// The kernel's CPU pressure over the wait and the `PRESSURE_WINDOW` before it
/// (`/proc/pressure/cpu`, the time some runnable thread waited for a core, plus the steal of
/// `/proc/stat`, the time a VM's host took the cores) answers that for the whole window: at 16
/// connections on the hello functions it is 55-61 % of a typical 10 ms, idle 0 %. Without it
/// (kernels built without PSI), the instantaneous `procs_running` of `/proc/stat` is the
/// answer; one sample of it is noisy and let the pool grow by an instance now and then under
/// full load, each time with a p99 spike.
fn cpu_saturated(window: Option<PressureMark>) -> bool {
    if let Some(share) = window.and_then(|mark| mark.stalled_share()) {
        return share >= SATURATED_STALL_SHARE;
    }
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return false;
    };
    // Looked up once: std reads cgroup quota files for it.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
    procs_running(&stat).is_some_and(|running| running.saturating_sub(1) >= cores)
}

/// The share of a window during which some runnable thread waited for a core, at and above
/// which the cores count as saturated.
const SATURATED_STALL_SHARE: f64 = 0.25;

/// How far back the CPU pressure is measured at each look of the scaler (once it has run that
/// long). Sampled every 10 ms under full load (16 connections on the Python hello), 2.7 % of
/// 10 ms windows read below the line, and 17 % while the VM's host took a quarter of the cores
/// (steal); of 100 ms windows, none and 0.7 %. A window of one look let such a moment start
/// instances (a pool of 4 went to 9-16 in a minute of full load, each start a cold start on busy
/// cores); a pool whose instances wait on I/O still finds the cores free over the whole window.
const PRESSURE_WINDOW: Duration = Duration::from_millis(100);

/// The clock ticks of `/proc/stat` (`USER_HZ`, 100 on every Linux architecture).
const PROC_STAT_TICK_US: u64 = 10_000;

/// A reading of the kernel's cumulative CPU pressure, the start of a window.
#[derive(Debug, Clone, Copy)]
struct PressureMark {
    at: Instant,
    stalled_us: u64,
    /// Time the VM's host ran something else on our cores (steal), per core: the kernel's
    /// pressure does not count it, yet it is as taken as a core another thread holds.
    stolen_us: u64,
}

/// How long one reading of `/proc` serves every pool's scaler. The figures are the machine's,
/// not a pool's, and each reading is two files (about 25 µs each here): with many functions
/// under load at once, every pool reading its own every 10 ms would add up to a real share of
/// the gateway's worker.
const PRESSURE_READING_SHARED_FOR: Duration = Duration::from_millis(5);

impl PressureMark {
    /// Now (a reading at most `PRESSURE_READING_SHARED_FOR` old), when the kernel reports CPU
    /// pressure.
    fn now() -> Option<PressureMark> {
        static LATEST: Mutex<Option<PressureMark>> = Mutex::new(None);
        let mut latest = LATEST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mark) = *latest
            && mark.at.elapsed() < PRESSURE_READING_SHARED_FOR
        {
            return Some(mark);
        }
        *latest = PressureMark::read();
        *latest
    }

    /// A fresh reading of `/proc`.
    fn read() -> Option<PressureMark> {
        let text = std::fs::read_to_string("/proc/pressure/cpu").ok()?;
        let stalled_us = pressure_stalled_us(&text)?;
        let stolen_us = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|stat| stolen_us_per_core(&stat))
            .unwrap_or(0);
        Some(PressureMark {
            at: Instant::now(),
            stalled_us,
            stolen_us,
        })
    }

    /// The share of the time since this mark during which some runnable thread waited for a
    /// core, or the host had taken it; `None` for a window under a millisecond, too short to
    /// tell.
    fn stalled_share(self) -> Option<f64> {
        let now = PressureMark::now()?;
        let elapsed_us = now.at.duration_since(self.at).as_micros();
        if elapsed_us < 1000 {
            return None;
        }
        let lost_us = now.stalled_us.saturating_sub(self.stalled_us)
            + now.stolen_us.saturating_sub(self.stolen_us);
        Some(lost_us as f64 / elapsed_us as f64)
    }
}

/// The steal time of a `/proc/stat` text (its `cpu` line's eighth figure, summed over the
/// cores), in microseconds per core.
fn stolen_us_per_core(stat: &str) -> Option<u64> {
    let mut lines = stat.lines();
    let steal: u64 = lines
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .nth(7)?
        .parse()
        .ok()?;
    let cores = lines
        .take_while(|line| line.starts_with("cpu"))
        .filter(|line| line.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count()
        .max(1) as u64;
    Some(steal * PROC_STAT_TICK_US / cores)
}

/// The `some … total=` microseconds of a `/proc/pressure/cpu` text.
fn pressure_stalled_us(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("some "))?
        .split_whitespace()
        .find_map(|field| field.strip_prefix("total="))?
        .parse()
        .ok()
}

/// The `procs_running` count of a `/proc/stat` text.
fn procs_running(stat: &str) -> Option<usize> {
    stat.lines()
        .find_map(|line| line.strip_prefix("procs_running "))
        .and_then(|n| n.trim().parse().ok())
}

/// True when the process has exited (reaped or not) or is not our child.
///
/// One `waitid` with WNOWAIT: it reports an exit without reaping, so the instance's own wait
/// still sees it. Cheap enough for every hand-over.
fn process_is_gone(pid: u32) -> bool {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    let Ok(pid) = i32::try_from(pid) else {
        return true;
    };
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(
        waitid(Id::Pid(nix::unistd::Pid::from_raw(pid)), flags),
        Ok(WaitStatus::StillAlive)
    )
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Parked>,
    queue: VecDeque<Job>,
    /// Instances started and not yet exited.
    live: usize,
    /// Invocations handed to an instance and not yet answered.
    busy: usize,
    /// Instances started that have not asked for work yet.
    starting: usize,
    /// Instances that answered and will ask for work again in a moment. Queued jobs up to
    /// `starting + returning` are covered without starting anyone new: a warm instance that
    /// is about to poll beats a cold start.
    returning: usize,
    instances: Vec<Arc<Instance<Pool>>>,
    init_failure: Option<(Instant, InitFailure)>,
    next_id: u64,
    closed: bool,
    /// A task watches the queue for invocations that wait too long (see [`Scaling`]).
    scaler_running: bool,
    /// A task checks the memory of instances running invocations (while any run).
    sampler_running: bool,
    /// Events sent ahead so far.
    sent_ahead: u64,
    /// The most events one instance has had ahead at once.
    deepest_ahead: usize,
    /// When an instance last finished its init: waiting for a cold start is not a reason to
    /// start even more instances, so waits count from here at the earliest.
    last_ready: Option<Instant>,
}

impl PoolState {
    /// Counts a new instance (live and starting) and names it.
    fn reserve_instance(&mut self) -> u64 {
        self.live += 1;
        self.starting += 1;
        self.next_id += 1;
        self.next_id
    }

    fn arrive(&mut self, arrival: Arrival) {
        match arrival {
            Arrival::First => {
                self.starting = self.starting.saturating_sub(1);
                self.last_ready = Some(Instant::now());
            }
            Arrival::Returning => self.returning = self.returning.saturating_sub(1),
            Arrival::Other => {}
        }
    }
}

/// Why a pool did not take a job.
pub(crate) enum Submit {
    /// The pool is closed (shutdown, or retired by a reload); here is the job back.
    Closed(Box<Job>),
    /// The pool refused it (every instance busy and the queue full).
    Refused(InvokeError),
}

/// The instances of one function.
pub(crate) struct Pool {
    /// The function.
    pub function: Arc<Function>,
    /// How its instances start.
    pub launch: Launch,
    /// Its log lines.
    pub logs: Arc<LogRing>,
    /// Hard cap on instances (see [`Scaling`]).
    pub max_concurrency: usize,
    /// Instances started without waiting.
    pub burst: usize,
    /// How long an invocation waits for a busy instance before another one starts.
    pub scale_up_after: Duration,
    /// Invocations that may wait beyond the ones instances are about to take.
    pub queue_depth: usize,
    /// An idle instance stops after this long.
    pub idle_timeout: Duration,
    /// Lambda's init limit.
    pub init_limit: Duration,
    /// Events go ahead to runtimes whose last invocation took less than this.
    pub ahead_below: Duration,
    state: Mutex<PoolState>,
    /// Signalled whenever work finishes or an instance exits (shutdown waits on it).
    settled: Notify,
}

impl Pool {
    /// A pool with no instances yet.
    pub fn new(
        function: Arc<Function>,
        launch: Launch,
        logs: Arc<LogRing>,
        scaling: Scaling,
    ) -> Arc<Pool> {
        let max_concurrency = scaling.max_concurrency.max(1);
        Arc::new(Pool {
            function,
            launch,
            logs,
            max_concurrency,
            burst: scaling.burst.clamp(1, max_concurrency),
            scale_up_after: scaling.scale_up_after,
            queue_depth: scaling.queue_depth,
            idle_timeout: scaling.idle_timeout,
            init_limit: scaling.init_limit,
            ahead_below: scaling.ahead_below,
            state: Mutex::new(PoolState::default()),
            settled: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a job to an idle instance, or queues it (starting an instance when allowed).
    /// A closed pool gives the job back, so that the caller can hand it to its successor.
    pub fn submit(self: &Arc<Self>, mut job: Job) -> Result<(), Submit> {
        let id = {
            let mut st = self.lock();
            if st.closed {
                return Err(Submit::Closed(Box::new(job)));
            }
            if let Some((at, failure)) = &st.init_failure {
                if at.elapsed() < INIT_FAILURE_HOLD {
                    let outcome = failure.outcome(&job.request_id);
                    drop(st);
                    let _ = job.reply.send(outcome);
                    return Ok(());
                }
                st.init_failure = None;
            }
            // The most recently parked instance first: it is the warmest.
            while let Some(parked) = st.idle.pop() {
                match parked.hand_over(job) {
                    Ok(()) => return Ok(()),
                    Err(returned) => job = returned,
                }
            }
            let covered = st.starting + st.returning;
            if st.queue.len() >= covered && st.live < self.burst {
                st.queue.push_back(job);
                st.reserve_instance()
            } else if st.queue.len() < covered + self.queue_depth {
                st.queue.push_back(job);
                if st.live < self.max_concurrency && !st.scaler_running {
                    st.scaler_running = true;
                    drop(st);
                    tokio::spawn(self.clone().scale_up_waiting());
                }
                return Ok(());
            } else {
                return Err(Submit::Refused(InvokeError::TooManyRequests));
            }
        };
        Instance::start(self.clone(), id, false);
        Ok(())
    }

    /// Starts instances (up to the hard cap) for invocations that have waited `scale_up_after`
    /// for a busy one; runs while invocations wait and the cap is not reached.
    async fn scale_up_waiting(self: Arc<Self>) {
        // Every look is followed by a full `scale_up_after` before the next. A look that starts
        // nothing leaves the oldest invocation's deadline in the past (instances are starting,
        // or about to return, or the cores are saturated), and without this wait the loop
        // would look again at once, over and over, on the worker the instances need: it did,
        // for the whole of every cold start, taking a core from the inits it waited for.
        let mut look_again_at = Instant::now();
        // The CPU pressure is measured from a mark at least `PRESSURE_WINDOW` old (the scaler
        // keeps the marks of its recent looks), or from its start while it has run less long,
        // so every verdict covers the time invocations have been waiting, and more.
        let mut marks: VecDeque<PressureMark> = PressureMark::now().into_iter().collect();
        loop {
            let waiting_since = {
                let mut st = self.lock();
                let oldest = st.queue.front().map(|job| job.submitted);
                match oldest {
                    Some(at) if !st.closed && st.live < self.max_concurrency => {
                        at.max(st.last_ready.unwrap_or(at))
                    }
                    _ => {
                        st.scaler_running = false;
                        return;
                    }
                }
            };
            let wake = (waiting_since + self.scale_up_after).max(look_again_at);
            tokio::time::sleep_until(wake.into()).await;
            let ids: Vec<u64> = {
                let mut st = self.lock();
                let now = Instant::now();
                // Instances still starting will take waiting jobs soon: check again later.
                let since = if st.starting > 0 {
                    now
                } else {
                    st.last_ready.unwrap_or(now)
                };
                let overdue = st
                    .queue
                    .iter()
                    .take_while(|job| {
                        now.duration_since(job.submitted.max(since)) >= self.scale_up_after
                    })
                    .count();
                // Instances already starting or about to return take the first of them.
                let wanted = overdue.saturating_sub(st.starting + st.returning);
                let room = self.max_concurrency.saturating_sub(st.live);
                let oldest_wait = st
                    .queue
                    .front()
                    .map(|job| now.duration_since(job.submitted.max(since)))
                    .unwrap_or_default();
                if st.closed {
                    Vec::new()
                } else if wanted > 0
                    && oldest_wait < self.scale_up_after * SATURATED_PATIENCE
                    && cpu_saturated(marks.front().copied())
                {
                    // Every core is taken: another instance would only compete with these for
                    // CPU (and its cold start would slow them further), so waits here are the
                    // machine's, not a shortage of instances.
                    Vec::new()
                } else {
                    (0..wanted.min(room))
                        .map(|_| st.reserve_instance())
                        .collect()
                }
            };
            look_again_at = Instant::now() + self.scale_up_after;
            for id in ids {
                Instance::start(self.clone(), id, false);
            }
            marks.extend(PressureMark::now());
            while marks.len() > 1 && marks[1].at.elapsed() >= PRESSURE_WINDOW {
                marks.pop_front();
            }
        }
    }

    /// While invocations run, checks the memory of their instances against MemorySize every
    /// [`MEMORY_SAMPLE_INTERVAL`]: one timer per busy pool, none per invocation.
    async fn check_memory(self: Arc<Self>) {
        loop {
            tokio::time::sleep(MEMORY_SAMPLE_INTERVAL).await;
            let instances = {
                let mut st = self.lock();
                if st.busy == 0 {
                    st.sampler_running = false;
                    return;
                }
                st.instances.clone()
            };
            for instance in instances {
                instance.check_memory();
            }
        }
    }

    /// Starts one instance ahead of need (`--warm-containers EAGER`).
    pub fn prewarm(self: &Arc<Self>) {
        let id = {
            let mut st = self.lock();
            if st.closed || st.live > 0 {
                return;
            }
            st.reserve_instance()
        };
        Instance::start(self.clone(), id, false);
    }
}

impl InstancePool for Pool {
    fn function(&self) -> &Function {
        &self.function
    }

    fn launch(&self) -> &Launch {
        &self.launch
    }

    fn logs(&self) -> &LogRing {
        &self.logs
    }

    fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    fn init_limit(&self) -> Duration {
        self.init_limit
    }

    fn ahead_below(&self) -> Duration {
        self.ahead_below
    }

    fn arrived(&self, arrival: Arrival) {
        self.lock().arrive(arrival);
    }

    fn take_or_park(
        &self,
        instance: u64,
        pid: Option<u32>,
        arrival: Arrival,
        slot: oneshot::Sender<Job>,
    ) -> Option<Job> {
        let mut st = self.lock();
        st.arrive(arrival);
        if !st.queue.is_empty() && pid.is_some_and(process_is_gone) {
            // A `GET /next` sent just before the runtime died: its process will not read the
            // answer, so it must not take a queued event. (Dropping the slot ends the poll.)
            return None;
        }
        if let Some(job) = st.queue.pop_front() {
            return Some(job);
        }
        st.idle.push(Parked {
            instance,
            pid,
            slot,
        });
        None
    }

    fn take_ahead(&self, depth: usize) -> Option<Job> {
        let mut st = self.lock();
        if st.closed {
            return None;
        }
        let job = st.queue.pop_front()?;
        st.busy += 1;
        st.sent_ahead += 1;
        st.deepest_ahead = st.deepest_ahead.max(depth);
        Some(job)
    }

    fn requeue(self: &Arc<Self>, mut job: Job) {
        let mut st = self.lock();
        while let Some(parked) = st.idle.pop() {
            match parked.hand_over(job) {
                Ok(()) => return,
                Err(returned) => job = returned,
            }
        }
        st.queue.push_front(job);
        let spawn = st.live < self.max_concurrency
            && !st.closed
            && st.queue.len() > st.starting + st.returning;
        if spawn {
            let id = st.reserve_instance();
            drop(st);
            Instance::start(self.clone(), id, false);
        }
    }

    fn job_abandoned(self: &Arc<Self>, job: Job) {
        {
            let mut st = self.lock();
            st.busy = st.busy.saturating_sub(1);
        }
        self.requeue(job);
        self.settled.notify_waiters();
    }

    fn unpark(&self, instance: u64) -> bool {
        let mut st = self.lock();
        let before = st.idle.len();
        st.idle.retain(|p| p.instance != instance);
        st.idle.len() != before
    }

    fn registered(&self, instance: Arc<Instance<Self>>) {
        self.lock().instances.push(instance);
    }

    fn job_started(self: &Arc<Self>) {
        let mut st = self.lock();
        st.busy += 1;
        if !st.sampler_running {
            st.sampler_running = true;
            drop(st);
            tokio::spawn(self.clone().check_memory());
        }
    }

    fn job_finished(&self, returning: bool) {
        {
            let mut st = self.lock();
            st.busy = st.busy.saturating_sub(1);
            if returning {
                st.returning += 1;
            }
        }
        self.settled.notify_waiters();
    }

    // With an init failure, the queued invocations get its answer; otherwise a replacement
    // starts when work is waiting.
    fn instance_exited(
        self: &Arc<Self>,
        instance: u64,
        pending: Option<Arrival>,
        failure: Option<InitFailure>,
    ) {
        let mut failed = Vec::new();
        let mut spawn = None;
        let mut suppressed = false;
        {
            let mut st = self.lock();
            st.live = st.live.saturating_sub(1);
            if let Some(arrival) = pending {
                st.arrive(arrival);
            }
            st.instances.retain(|i| i.id != instance);
            st.idle.retain(|p| p.instance != instance);
            if let Some(InitFailure::TimedOut(limit)) = &failure {
                // As Lambda does: the init is retried within the first invocation, where it
                // may take the function's Timeout ("suppressed init"); the waiting invocations
                // wait for that instance.
                self.logs.push(
                    None,
                    LogStream::Platform,
                    format!(
                        "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: timeout",
                        limit.as_secs_f64() * 1000.0
                    ),
                );
                if st.queue.len() > st.starting + st.returning
                    && !st.closed
                    && st.live < self.max_concurrency
                {
                    spawn = Some(st.reserve_instance());
                    suppressed = true;
                }
            } else if let Some(failure) = failure {
                // Other instances may still be starting for the queued jobs; they would fail
                // the same way, so the queue gets the answer now.
                failed = st.queue.drain(..).collect();
                let message = match &failure {
                    InitFailure::Posted { payload, .. } => String::from_utf8_lossy(payload).into(),
                    InitFailure::Exited(exit) => format!("Runtime exited with error: {exit}"),
                    InitFailure::Entrypoint(why) => why.clone(),
                    InitFailure::TimedOut(limit) => {
                        format!("Init timed out after {:.2} seconds", limit.as_secs_f64())
                    }
                    InitFailure::SuppressedTimedOut(limit) => {
                        format!("Task timed out after {:.2} seconds", limit.as_secs_f64())
                    }
                };
                self.logs.push(
                    None,
                    LogStream::Platform,
                    format!("INIT_REPORT Error: {message}"),
                );
                st.init_failure = Some((Instant::now(), failure));
            } else if st.queue.len() > st.starting + st.returning
                && !st.closed
                && st.live < self.max_concurrency
            {
                spawn = Some(st.reserve_instance());
            } else if st.closed && st.live == 0 {
                // Nobody will serve these any more: dropping the replies tells the callers.
                st.queue.clear();
            }
        }
        if let Some(id) = spawn {
            Instance::start(self.clone(), id, suppressed);
        }
        let failure = self.lock().init_failure.clone();
        if let Some((_, failure)) = failure {
            for job in failed {
                let _ = job.reply.send(failure.outcome(&job.request_id));
            }
        }
        self.settled.notify_waiters();
    }
}

impl Pool {
    /// Events sent ahead so far.
    pub fn sent_ahead(&self) -> u64 {
        self.lock().sent_ahead
    }

    /// The most events one instance has had ahead at once.
    pub fn deepest_ahead(&self) -> usize {
        self.lock().deepest_ahead
    }

    /// Stops taking work.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// Waits until no invocation is queued or running, or `deadline` passes.
    pub async fn drain(&self, deadline: tokio::time::Instant) {
        loop {
            let notified = self.settled.notified();
            {
                let st = self.lock();
                if st.busy == 0 && (st.queue.is_empty() || st.live == 0) {
                    return;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// Stops every instance and waits for them to exit.
    pub async fn stop_all(&self) {
        let instances = {
            let mut st = self.lock();
            st.idle.clear();
            st.queue.clear();
            st.instances.clone()
        };
        for instance in &instances {
            instance.stop();
        }
        for instance in &instances {
            instance.wait_exited().await;
        }
    }

    /// Instances started and not yet exited.
    pub fn live(&self) -> usize {
        self.lock().live
    }

    /// Process ids of the running instances.
    pub fn pids(&self) -> Vec<u32> {
        self.lock()
            .instances
            .iter()
            .filter_map(|i| i.pid())
            .collect()
    }

    /// Asks every instance to stop without waiting (used when the service is dropped).
    pub fn stop_all_now(&self) {
        let instances = self.lock().instances.clone();
        for instance in &instances {
            instance.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        PressureMark, pressure_stalled_us, process_is_gone, procs_running, stolen_us_per_core,
    };

    #[test]
    fn cpu_pressure_is_read_from_proc_pressure() {
        let text = "some avg10=23.26 avg60=32.70 avg300=28.55 total=777490151\n\
                    full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(pressure_stalled_us(text), Some(777_490_151));
        assert_eq!(pressure_stalled_us("full avg10=0.00 total=5\n"), None);
        assert_eq!(pressure_stalled_us("some avg10=0.00\n"), None);
        // Where the kernel reports it, a window's share is a fraction (of one thread's time:
        // it cannot exceed the window), and readings close together are one reading.
        if let Some(mark) = PressureMark::now() {
            let again = PressureMark::now().unwrap();
            // The same reading, unless this thread was away for longer than it is shared.
            assert!(
                again.at == mark.at
                    || again.at.duration_since(mark.at) >= super::PRESSURE_READING_SHARED_FOR
            );
            std::thread::sleep(super::PRESSURE_READING_SHARED_FOR * 2);
            let share = mark.stalled_share().unwrap();
            assert!((0.0..=1.5).contains(&share), "{share}");
        }
    }

    #[test]
    fn steal_is_read_from_proc_stat_per_core() {
        let stat = "cpu  1230952 1466 247203 585287 6143 0 45119 23447 0 0\n\
                    cpu0 615000 700 123000 292000 3000 0 22000 11700 0 0\n\
                    cpu1 615952 766 124203 293287 3143 0 23119 11747 0 0\n\
                    intr 1 2 3\nctxt 42\n";
        // 23,447 ticks of 10 ms over two cores.
        assert_eq!(stolen_us_per_core(stat), Some(117_235_000));
        assert_eq!(stolen_us_per_core("cpu  1 2 3\n"), None);
        assert_eq!(stolen_us_per_core("intr 1 2\n"), None);
        // This machine's own file has it.
        let real = std::fs::read_to_string("/proc/stat").unwrap();
        assert!(stolen_us_per_core(&real).is_some());
    }

    #[test]
    fn procs_running_is_read_from_proc_stat() {
        let stat = "cpu  10 0 5 100 0 0 0 0 0 0\nctxt 42\nprocs_running 3\nprocs_blocked 0\n";
        assert_eq!(procs_running(stat), Some(3));
        assert_eq!(procs_running("cpu 1 2 3\n"), None);
        // This machine's own file has it.
        let real = std::fs::read_to_string("/proc/stat").unwrap();
        assert!(procs_running(&real).is_some_and(|n| n >= 1));
    }

    #[test]
    fn a_running_child_is_not_gone_and_a_dead_one_is() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(!process_is_gone(pid));
        child.kill().unwrap();
        // Dead but not reaped yet: a zombie until wait().
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !process_is_gone(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "the child survived SIGKILL"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child.wait().unwrap();
        assert!(process_is_gone(pid));
    }
}
