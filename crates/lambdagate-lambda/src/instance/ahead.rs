//! Events sent ahead: while a runtime of ours runs an invocation, the next queued one goes out
//! on its frame connection, and the runtime takes it as the answer to its next poll without
//! sleeping in between. See "Events ahead" in docs/design-notes.md for what keeps Lambda's
//! behaviour (deadlines, log lines, crashes).
//!
//! The instance keeps the events it sent ahead until its runtime begins them (the poll after
//! the answer before), gives them back to the pool when the runtime will not, and has the
//! pipes log their marked output after their START.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{Instance, InstancePool, Job, event};
use crate::runtime_api::{Connection, EventDeadline, NextEvent};

/// Events sent ahead to one runtime at most. With one, an instance still slept for four
/// invocations in ten at 16 connections: when its event went out, the queue was often empty,
/// and the next invocation came after its answer. Three ahead took that to two in ten and the
/// hello routes' req/s up by a fifth (see "Events ahead" in docs/design-notes.md); each one more
/// is one more invocation that waits if the one before turns slow, which is why it stops here.
pub(super) const AHEAD_DEPTH: usize = 3;

/// An event sent ahead: the runtime has it and begins it after answering its current
/// invocation.
pub(super) struct Ahead {
    pub(super) job: Job,
    /// What had been written to the connection before it (and the event it went with).
    pub(super) written_before: u64,
}

impl<P: InstancePool> Instance<P> {
    /// The next queued invocation as an event ahead, when the instance runs a quick one and
    /// has room for it; counted busy from now on.
    pub(super) fn send_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> Option<NextEvent> {
        let depth = {
            let st = self.lock();
            if !st.quick || st.stopping || st.current.is_none() || st.ahead.len() >= AHEAD_DEPTH {
                return None;
            }
            st.ahead.len() + 1
        };
        let pool = self.pool.upgrade()?;
        let job = pool.take_ahead(depth)?;
        // Its clock starts when the runtime begins it: the runtime is given the Timeout.
        let event = event(
            &*pool,
            &job,
            EventDeadline::After(self.timeout.as_millis() as u64),
        );
        self.lock().ahead.push_back(Ahead {
            job,
            written_before: conn.written(),
        });
        Some(event)
    }

    /// The runtime polled: the first event it has ahead becomes its invocation (START, the
    /// deadline), and its held output follows START. False when none is ahead.
    pub(super) fn begin_sent_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> bool {
        let Some(pool) = self.pool.upgrade() else {
            return false;
        };
        let (ahead, arrival, previous) = {
            let mut st = self.lock();
            let Some(ahead) = st.ahead.pop_front() else {
                return false;
            };
            let arrival = self.arrival(&mut st);
            (ahead, arrival, st.current.take())
        };
        pool.arrived(arrival);
        if let Some(previous) = previous {
            self.fail_unanswered(previous);
        }
        // Even a stopping instance begins it: the runtime has it and will run it.
        let id = ahead.job.request_id.clone();
        self.begin(&pool, ahead.job, conn, ahead.written_before, true);
        self.release_output(Some(&id));
        true
    }

    /// Events ahead the runtime will not begin (it is about to exit, or gone) go back to the
    /// pool, and output held for them to the log as it is.
    pub(super) fn give_back(&self, ahead: VecDeque<Ahead>) {
        if ahead.is_empty() {
            return;
        }
        if let Some(pool) = self.pool.upgrade() {
            for ahead in ahead {
                pool.job_abandoned(ahead.job);
            }
        }
        self.release_output(None);
    }

    /// Output held for the event sent ahead `request_id` goes to the log now (after its
    /// START); with `None`, all that is held.
    fn release_output(&self, request_id: Option<&str>) {
        if let Some(pipes) = self.pipes.get() {
            for pipe in pipes {
                pipe.release(self, request_id);
            }
        }
    }
}
