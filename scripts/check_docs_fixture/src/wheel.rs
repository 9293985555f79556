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

// Test-only although the predicate holds a `not`.
#[cfg(all(test, not(loom)))]
impl TimerWheel {
    fn only_in_tests(&self) {}
}

impl TimerWheel {
    // Not test-only: a feature compiles it too.
    #[cfg(any(test, feature = "fixture"))]
    pub fn in_tests_or_a_feature(&self) {}
}

pub struct Config {
    pub interval: u64,
    // A test-only last field: the impl after the struct is not test-only.
    #[cfg(test)]
    pub probe: u64,
}

impl Config {
    pub const fn zero() -> u64 {
        0
    }

    pub fn real(&self) {}
}

pub trait Probe {
    fn probe(&self) {}
}

// Implemented only in tests: `Config::probe` names nothing a user can call.
#[cfg(test)]
impl Probe for Config {}

pub enum Woken {
    Io { fd: i32, readiness: u8 },
    Timer { deadline: u64 },
}
