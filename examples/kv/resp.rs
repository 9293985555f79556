//! RESP2, the Redis protocol, for a server: requests in (arrays of bulk strings as
//! clients send them, or inline commands as typed into `nc`), replies out.
//!
//! No runtime here: `parse_request` looks at the bytes buffered so far and says
//! "a request, `n` bytes long", "not complete yet" or "not RESP", so that a request
//! split anywhere across reads (even byte by byte) and many pipelined in one read are
//! the same to it. Shared, word for word, by `examples/kv` and its tokio twin.

use std::fmt;

/// The largest bulk string accepted (a value of `SET`); Redis allows 512 MiB.
pub const MAX_BULK: usize = 16 << 20;
/// The most arguments in one request.
pub const MAX_ARGS: usize = 1 << 16;
/// The longest inline command line, and the longest `*`/`$` header line.
pub const MAX_INLINE: usize = 64 << 10;

/// A request: its arguments, the command name first.
pub type Request = Vec<Vec<u8>>;

/// A request that is not RESP: replied to with `-ERR Protocol error: ...`, then the
/// connection is closed, as Redis does (the rest of the stream cannot be trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

fn error<T>(message: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(message.into()))
}

/// How far an incomplete request has been checked: the next look at the same bytes,
/// with more after them, goes on from there. Looking from the start each time, a
/// request trickled in an argument at a time cost time quadratic in its length (the
/// whole server's time: one client could stall the others for seconds).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Arguments checked whole, and where the next one starts.
    args: usize,
    pos: usize,
}

/// The first request in `buf`, and its length in bytes; `Ok(None)` if `buf` holds
/// only part of one. An empty inline line is skipped (`Some((vec![], n))`).
///
/// `progress` comes from the earlier looks at the same request (the same bytes
/// first, more after them): it is updated while the request is incomplete and reset
/// once it is whole.
pub fn parse_request(buf: &[u8], progress: &mut Progress) -> Result<Option<(Request, usize)>, ProtocolError> {
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] != b'*' {
        return parse_inline(buf);
    }
    let Some((count, first)) = header(buf, 0)? else { return Ok(None) };
    if count <= 0 {
        return Ok(Some((Vec::new(), first))); // `*0` and `*-1`: nothing to do
    }
    if count as u64 > MAX_ARGS as u64 {
        return error("invalid multibulk length");
    }
    let count = count as usize;
    let (mut checked, mut pos) = match progress.pos {
        0 => (0, first),
        pos => (progress.args, pos),
    };
    while checked < count {
        let Some((_, next)) = bulk(buf, pos)? else {
            *progress = Progress { args: checked, pos };
            return Ok(None);
        };
        checked += 1;
        pos = next;
    }
    *progress = Progress::default();
    // Whole and checked: the arguments are copied out in one pass (and only now is
    // there room made for `count` of them, all present).
    let mut args = Vec::with_capacity(count);
    let mut at = first;
    for _ in 0..count {
        let (range, next) = bulk(buf, at)?.expect("an argument checked whole");
        args.push(buf[range].to_vec());
        at = next;
    }
    Ok(Some((args, pos)))
}

/// The bulk string `$N\r\n...\r\n` at `pos`: its bytes, and where the next starts.
fn bulk(buf: &[u8], pos: usize) -> Result<Option<(std::ops::Range<usize>, usize)>, ProtocolError> {
    match buf.get(pos) {
        None => return Ok(None),
        Some(b'$') => {}
        Some(&other) => return error(format!("expected '$', got '{}'", other as char)),
    }
    let Some((len, start)) = header(buf, pos)? else { return Ok(None) };
    if len < 0 || len as u64 > MAX_BULK as u64 {
        return error("invalid bulk length");
    }
    let end = start + len as usize;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return error("bulk string not followed by CRLF");
    }
    Ok(Some((start..end, end + 2)))
}

/// `*N\r\n` or `$N\r\n` at `at`: N, and where the line after it starts.
fn header(buf: &[u8], at: usize) -> Result<Option<(i64, usize)>, ProtocolError> {
    let Some(end) = find_crlf(&buf[at..], MAX_INLINE)? else { return Ok(None) };
    let digits = &buf[at + 1..at + end];
    let text = std::str::from_utf8(digits).ok();
    match text.and_then(|t| t.parse::<i64>().ok()) {
        Some(n) if !digits.starts_with(b"+") => Ok(Some((n, at + end + 2))),
        _ if buf[at] == b'*' => error("invalid multibulk length"),
        _ => error("invalid bulk length"),
    }
}

/// Where `\r\n` starts in `buf`; an error if none is within `limit` bytes.
fn find_crlf(buf: &[u8], limit: usize) -> Result<Option<usize>, ProtocolError> {
    match buf.windows(2).take(limit).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some(i)),
        None if buf.len() > limit => error("too big inline request"),
        None => Ok(None),
    }
}

/// A line of words, as `PING` typed into `nc` or `telnet` (LF alone ends it too).
fn parse_inline(buf: &[u8]) -> Result<Option<(Request, usize)>, ProtocolError> {
    let Some(newline) = buf.iter().take(MAX_INLINE + 1).position(|&b| b == b'\n') else {
        return if buf.len() > MAX_INLINE { error("too big inline request") } else { Ok(None) };
    };
    let line = buf[..newline].strip_suffix(b"\r").unwrap_or(&buf[..newline]);
    let args =
        line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).map(<[u8]>::to_vec).collect();
    Ok(Some((args, newline + 1)))
}

/// Appends replies in RESP2 to an output buffer.
pub struct Reply;

impl Reply {
    pub fn simple(out: &mut Vec<u8>, text: &str) {
        out.push(b'+');
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    /// An error line; CR and LF in `text` would end it early, so they become spaces.
    pub fn error(out: &mut Vec<u8>, text: &str) {
        out.push(b'-');
        out.extend(text.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        out.extend_from_slice(b"\r\n");
    }

    pub fn integer(out: &mut Vec<u8>, n: i64) {
        out.extend_from_slice(format!(":{n}\r\n").as_bytes());
    }

    pub fn bulk(out: &mut Vec<u8>, data: &[u8]) {
        out.extend_from_slice(format!("${}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    pub fn null(out: &mut Vec<u8>) {
        out.extend_from_slice(b"$-1\r\n");
    }

    pub fn array_header(out: &mut Vec<u8>, len: usize) {
        out.extend_from_slice(format!("*{len}\r\n").as_bytes());
    }
}
