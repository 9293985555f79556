//! How late the OS may end a timed wait: what [`TimerWheel::next_wakeup`]'s batch rule
//! counts as part of its window (see there).
//!
//! [`TimerWheel::next_wakeup`]: super::TimerWheel::next_wakeup

/// How far past the requested time the OS may end this thread's timed waits. On Linux,
/// `epoll_wait` and its kin add the thread's timer slack (`PR_GET_TIMERSLACK`, 50 µs
/// unless changed) — none for real-time threads — so that nearby wakeups coalesce.
/// Elsewhere 0: nothing is assumed.
#[cfg(target_os = "linux")]
pub(super) fn os_wait_slack() -> u64 {
    // SAFETY: both calls only read the calling thread's scheduling attributes.
    let (policy, slack) = unsafe { (libc::sched_getscheduler(0), libc::prctl(libc::PR_GET_TIMERSLACK)) };
    wait_slack_for(policy, slack)
}

/// The slack a wait gets, from `sched_getscheduler`'s policy and `PR_GET_TIMERSLACK`'s
/// answer: none for real-time and deadline threads. The policy may carry
/// `SCHED_RESET_ON_FORK` (as set by audio servers and rtkit), which leaves the thread
/// real-time all the same.
#[cfg(target_os = "linux")]
pub(super) fn wait_slack_for(policy: libc::c_int, slack: libc::c_int) -> u64 {
    let policy = policy & !libc::SCHED_RESET_ON_FORK;
    if matches!(policy, libc::SCHED_FIFO | libc::SCHED_RR | libc::SCHED_DEADLINE) {
        return 0;
    }
    u64::try_from(slack).unwrap_or(0)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn os_wait_slack() -> u64 {
    0
}
