// A fixture for scripts/test_check_docs.py: the code its docs name.
pub struct TimerWheel;

impl TimerWheel {
    pub fn next_wakeup(&self) -> u64 {
        0
    }

    #[cfg(test)]
    fn next_expiration(&self) -> u64 {
        self.next_wakeup()
    }
}

pub fn turn() {}

pub const TIMER_BATCH_NANOS: u64 = 1;
