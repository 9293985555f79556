//! Writing a runtime's trace to a file: where it goes (`WAKEFUL_TRACE`,
//! [`Builder::trace`](crate::Builder::trace)), and the Chrome Trace Event JSON writer
//! (`json.rs`, its text by hand in `text.rs`) that the executor's recorder hands its
//! batches to.
//!
//! The executor records (`wakeful_executor::trace`), the reactor's park records its
//! waits (`wakeful_net::context::ReactorPark::traced`), and this module owns the file:
//! the only layer that does I/O for the trace.
//!
//! Several runtimes in one process never share a file: the first one built with a
//! given path writes it, each later one (at once, as `wakeful::cores` builds them, or
//! one after the other) writes the path with `.1`, `.2`, … before its extension
//! (`trace.json`, `trace.1.json`, `trace.2.json`), in the order they were built.

mod json;
mod text;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

pub use wakeful_executor::trace::TraceStats;
use wakeful_executor::trace::{Tracer, DEFAULT_CAPACITY};

/// The environment variable naming a trace file for every runtime the process builds
/// without [`Builder::trace`](crate::Builder::trace). Empty: no trace.
pub const ENV: &str = "WAKEFUL_TRACE";

/// Opens the trace file for a runtime being built: `explicit` (an error names the
/// path), else the environment's (an error is one line on stderr, and no trace).
pub(crate) fn open(explicit: Option<&Path>) -> io::Result<Option<Tracer>> {
    if let Some(path) = explicit {
        return start(path).map(Some);
    }
    let Some(path) = std::env::var_os(ENV).filter(|path| !path.is_empty()) else {
        return Ok(None);
    };
    match start(Path::new(&path)) {
        Ok(tracer) => Ok(Some(tracer)),
        Err(err) => {
            // Not `eprintln!`, which panics if stderr is gone.
            drop(writeln!(io::stderr(), "wakeful: {ENV}: {err}; running without a trace"));
            Ok(None)
        }
    }
}

/// Creates this runtime's file (see the module docs for the name) and its recorder.
fn start(path: &Path) -> io::Result<Tracer> {
    let path = claim(path);
    let file = File::create(&path).map_err(|err| {
        io::Error::new(err.kind(), format!("cannot create trace file {}: {err}", path.display()))
    })?;
    static RUNTIMES: AtomicU32 = AtomicU32::new(1);
    let runtime = RUNTIMES.fetch_add(1, Ordering::Relaxed);
    let display = path.display().to_string();
    let sink = json::JsonSink::new(file, path, runtime)
        .map_err(|err| io::Error::new(err.kind(), format!("cannot write trace file {display}: {err}")))?;
    Ok(Tracer::new(sink, DEFAULT_CAPACITY))
}

/// The file the next runtime tracing to `path` writes: `path` itself the first time
/// in this process, then `path` with `.1`, `.2`, … before the extension. Never a file
/// already given out, however it was asked for: `t.json` spelled `./t.json`, or a
/// runtime's own `t.1.json` that a later one on `t.json` would be numbered. Two
/// writers on one file would interleave their events.
fn claim(path: &Path) -> PathBuf {
    #[derive(Default)]
    struct Claims {
        /// Per path asked for, the next number to try.
        next: HashMap<PathBuf, u32>,
        /// Every file given out (made absolute, `.` components gone).
        given: HashSet<PathBuf>,
    }
    static CLAIMS: Mutex<Option<Claims>> = Mutex::new(None);
    let mut claims = CLAIMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let claims = claims.get_or_insert_with(Claims::default);
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut nth = claims.next.get(&path).copied().unwrap_or(0);
    loop {
        let file = numbered(&path, nth);
        nth += 1;
        if claims.given.insert(file.clone()) {
            claims.next.insert(path, nth);
            return file;
        }
    }
}

/// `path` for the `nth` runtime (0: itself).
fn numbered(path: &Path, nth: u32) -> PathBuf {
    if nth == 0 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or(path.as_os_str());
    let mut name = OsString::from(stem);
    name.push(format!(".{nth}"));
    if let Some(extension) = path.extension() {
        name.push(".");
        name.push(extension);
    }
    path.with_file_name(name)
}

impl crate::Runtime {
    /// The trace's counters, if this runtime writes one: events recorded, batches
    /// written, and the buffer's bound — [`TraceStats::capacity`] events of 64 bytes
    /// (256 KiB), allocated once, plus the names of the spawns among them (at most
    /// `MAX_NAME`, 256 bytes, each), plus about 64 KiB of text being written.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("wakeful-doc-{}.json", std::process::id()));
    /// let rt = wakeful::Runtime::builder().trace(&path).build()?;
    /// rt.block_on(async { wakeful::spawn(async {}).await.unwrap() });
    /// let stats = rt.trace_stats().expect("traced");
    /// assert!(stats.events >= 4, "a spawn, polls, a completion");
    /// assert_eq!(stats.allocated, stats.capacity);
    /// drop(rt);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn trace_stats(&self) -> Option<TraceStats> {
        self.tracer.as_ref().map(Tracer::stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_runtimes_number_their_files_before_the_extension() {
        assert_eq!(numbered(Path::new("out/trace.json"), 0), Path::new("out/trace.json"));
        assert_eq!(numbered(Path::new("out/trace.json"), 2), Path::new("out/trace.2.json"));
        assert_eq!(numbered(Path::new("trace"), 1), Path::new("trace.1"));
    }
}
