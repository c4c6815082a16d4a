//! Instance lifecycle: SIGKILLed idle and busy instances are noticed and replaced, idle
//! instances stop after the idle timeout, EAGER starts instances up front, shutdown stops all.

mod common;

use std::time::Duration;

use common::*;
use lambdagate_lambda::ServiceConfig;

fn sigkill(pid: u32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

/// Waits (bounded) until `pid` has exited: a zombie or gone.
fn wait_until_dead(pid: u32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()));
        match state {
            None => return,
            Some(rest) if rest.starts_with('Z') => return,
            Some(_) => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pid} survived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[tokio::test]
async fn a_sigkilled_idle_instance_is_replaced() {
    let service = start(vec![script_function("Victim")]).await;
    let pid = response(&call(&service, "Victim", "{}").await)["pid"]
        .as_u64()
        .unwrap() as u32;
    sigkill(pid);
    // Once the process is dead (whether or not the service noticed the exit yet), the next
    // call is answered by a new process: the event is never handed to the dead runtime's
    // still-open long poll.
    wait_until_dead(pid);
    let next = response(&call(&service, "Victim", "{}").await);
    assert_ne!(next["pid"].as_u64().unwrap() as u32, pid);
    assert_eq!(service.live_instances("Victim"), 1);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_sigkilled_busy_instance_fails_only_its_invocation() {
    let service = start(vec![script_function("Busy")]).await;
    let pid = response(&call(&service, "Busy", "{}").await)["pid"]
        .as_u64()
        .unwrap() as u32;
    let s = service.clone();
    let busy = tokio::spawn(async move { call(&s, "Busy", r#"{"sleep": 5}"#).await });
    while service
        .logs("Busy")
        .iter()
        .filter(|l| l.text.starts_with("START"))
        .count()
        < 2
    {
        tokio::task::yield_now().await;
    }
    sigkill(pid);
    let result = busy.await.unwrap();
    let (kind, body) = error(&result);
    assert_eq!(kind, "Runtime.ExitError");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: signal: killed")
    );
    assert_eq!(response(&call(&service, "Busy", "{}").await)["ok"], true);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn idle_instances_stop_after_the_idle_timeout() {
    let config = ServiceConfig {
        idle_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let service = start_with(vec![script_function("Idle")], config).await;
    let pid = response(&call(&service, "Idle", "{}").await)["pid"]
        .as_u64()
        .unwrap() as u32;
    assert_eq!(service.live_instances("Idle"), 1);
    // Past the idle timeout the instance is stopped (bounded wait, checked often).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while service.live_instances("Idle") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "idle instance was not stopped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!alive(pid));
    // A new call starts a new instance.
    assert_eq!(response(&call(&service, "Idle", "{}").await)["ok"], true);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn eager_starts_one_instance_per_function_and_shutdown_stops_all() {
    let config = ServiceConfig {
        eager: true,
        ..Default::default()
    };
    let service = start_with(vec![script_function("A"), script_function("B")], config).await;
    assert_eq!(service.live_instances("A"), 1);
    assert_eq!(service.live_instances("B"), 1);
    // The eager instance serves the first call: no Init Duration on it.
    let result = call(&service, "A", "{}").await;
    response(&result);
    let pids = service.instance_pids();
    assert_eq!(pids.len(), 2);
    service.shutdown(Duration::from_secs(2)).await;
    for pid in pids {
        assert!(!alive(pid), "{pid} still runs after shutdown");
    }
    assert!(matches!(
        service.invoke("A", Default::default()).await,
        Err(lambdagate_lambda::InvokeError::ShuttingDown)
    ));
}

/// Our Python and Node bootstraps send their answer with the next poll pipelined behind it and
/// `Lambdagate-Next-Follows`, so the server holds the 202 until the next event. Warm calls are
/// served by that one instance in turn, and an instance idling with its answer held is still
/// stopped by the idle timeout and replaced on the next call.
#[tokio::test]
async fn bootstraps_holding_their_answer_serve_in_turn_and_stop_when_idle() {
    let config = ServiceConfig {
        idle_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let functions = vec![
        function(
            "Py",
            "python3.11",
            fixture("functions/python/hello"),
            Some("app.handler"),
        ),
        function(
            "Js",
            "nodejs20.x",
            fixture("functions/node/cjs_async"),
            Some("index.handler"),
        ),
    ];
    let service = start_with(functions, config).await;
    // Collected after each function's calls: the first function's instance may already have
    // been stopped as idle while the second one starts.
    let mut pids = Vec::new();
    for name in ["Py", "Js"] {
        for _ in 0..20 {
            assert_eq!(
                response(&call(&service, name, "{}").await)["statusCode"],
                200
            );
        }
        assert_eq!(service.live_instances(name), 1, "{name}");
        for pid in service.instance_pids() {
            if !pids.contains(&pid) {
                pids.push(pid);
            }
        }
    }
    assert_eq!(pids.len(), 2);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while service.live_instances("Py") + service.live_instances("Js") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "idle instances were not stopped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(pids.iter().all(|&pid| !alive(pid)));
    for name in ["Py", "Js"] {
        assert_eq!(
            response(&call(&service, name, "{}").await)["statusCode"],
            200
        );
    }
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn instances_run_as_batch_tasks_where_chrt_is_installed() {
    let service = start(vec![script_function("Batch")]).await;
    let pid = response(&call(&service, "Batch", "{}").await)["pid"]
        .as_u64()
        .unwrap();
    // The 39th field after the command name (the 41st in all) is the scheduling policy.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let policy: u32 = fields[38].parse().unwrap();
    let chrt = std::process::Command::new("chrt")
        .args(["--batch", "0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    // SCHED_BATCH is 3, SCHED_OTHER 0.
    assert_eq!(policy, if chrt { 3 } else { 0 }, "{stat}");
    service.shutdown(Duration::from_secs(2)).await;
}
