//! [`CoresError`]: why [`run`](super::Builder::run) returned no outputs, and on which
//! core.

use std::any::Any;
use std::fmt;
use std::io;

/// Why [`Builder::run`](super::Builder::run) (or [`Cores::join`](super::Cores::join))
/// returned no outputs. Its `Display` names the core: `"core 1 panicked: boom"`.
///
/// When several cores fail, the error of the lowest-numbered core that panicked or
/// could not start is reported; a core that was merely shut down because of it is
/// reported only when nothing else went wrong.
///
/// ```
/// let err = wakeful::cores::Builder::new().cores(0).run(|_core| async {}).unwrap_err();
/// assert_eq!(err.core(), None);
/// let err: std::io::Error = err.into();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// ```
#[derive(Debug)]
pub struct CoresError {
    /// The core it happened on; `None` for errors of the whole call.
    core: Option<usize>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// `cores(0)`, or more than `MAX_CORES`.
    Count(usize),
    /// `run` inside a runtime: it would block that runtime's thread.
    InsideRuntime,
    /// The OS refused the core's thread.
    Spawn(io::Error),
    /// The core's runtime (its epoll/kqueue fd) or its CPU affinity could not be set up.
    Build(io::Error),
    /// The factory, or the future it built, panicked (the message, if a string).
    Panicked(Option<String>),
    /// `shutdown` dropped the core's future before it returned an output.
    ShutDown,
}

impl CoresError {
    pub(crate) fn count(cores: usize) -> CoresError {
        CoresError { core: None, kind: Kind::Count(cores) }
    }

    pub(crate) fn inside_runtime() -> CoresError {
        CoresError { core: None, kind: Kind::InsideRuntime }
    }

    pub(crate) fn spawn(core: usize, err: io::Error) -> CoresError {
        CoresError { core: Some(core), kind: Kind::Spawn(err) }
    }

    pub(crate) fn build(core: usize, err: io::Error) -> CoresError {
        CoresError { core: Some(core), kind: Kind::Build(err) }
    }

    pub(crate) fn panicked(core: usize, payload: &(dyn Any + Send)) -> CoresError {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        CoresError { core: Some(core), kind: Kind::Panicked(message) }
    }

    pub(crate) fn shut_down(core: usize) -> CoresError {
        CoresError { core: Some(core), kind: Kind::ShutDown }
    }

    /// The core the error happened on, if it belongs to one.
    pub fn core(&self) -> Option<usize> {
        self.core
    }

    /// The core's factory or future panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, Kind::Panicked(_))
    }

    /// The panic's message, when it was a string.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked(message) => message.as_deref(),
            _ => None,
        }
    }

    /// A shutdown dropped the core's future before it returned: that core has no
    /// output. A future that awaits [`Core::shutdown_requested`](super::Core::shutdown_requested)
    /// and returns gives its output instead.
    pub fn is_shutdown(&self) -> bool {
        matches!(self.kind, Kind::ShutDown)
    }

    /// Errors that come first when several cores fail: a cause before its effects.
    pub(crate) fn is_cause(&self) -> bool {
        !self.is_shutdown()
    }
}

impl fmt::Display for CoresError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = self.core.unwrap_or(0);
        match &self.kind {
            Kind::Count(0) => f.write_str("wakeful::cores: cores(0): at least one core is needed"),
            Kind::Count(n) => {
                write!(f, "wakeful::cores: cores({n}): at most {} (one thread each)", super::MAX_CORES)
            }
            Kind::InsideRuntime => f.write_str(
                "wakeful::cores: run called inside a runtime, whose thread it would block \
                 (call it from a plain thread, or use start and join there)",
            ),
            Kind::Spawn(err) => write!(f, "core {core}: could not start its thread: {err}"),
            Kind::Build(err) => write!(f, "core {core}: could not set up its runtime: {err}"),
            Kind::Panicked(Some(message)) => write!(f, "core {core} panicked: {message}"),
            Kind::Panicked(None) => write!(f, "core {core} panicked"),
            Kind::ShutDown => write!(
                f,
                "core {core} was shut down before its future returned an output \
                 (a future that awaits Core::shutdown_requested can return one)"
            ),
        }
    }
}

impl std::error::Error for CoresError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Spawn(err) | Kind::Build(err) => Some(err),
            _ => None,
        }
    }
}

impl From<CoresError> for io::Error {
    /// Keeps the OS error's kind; a bad core count is `InvalidInput`, the rest `Other`.
    fn from(err: CoresError) -> io::Error {
        let kind = match &err.kind {
            Kind::Count(_) => io::ErrorKind::InvalidInput,
            Kind::Spawn(os) | Kind::Build(os) => os.kind(),
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}
