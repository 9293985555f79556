//! The trace's text, appended byte by byte (see [`number`] for why not `core::fmt`):
//! numbers, microseconds, JSON string contents, readiness and outcome names.

use wakeful_executor::task::IoEvents;
use wakeful_executor::trace::PollEnd;

pub(super) fn outcome_name(outcome: PollEnd) -> &'static str {
    match outcome {
        PollEnd::Pending => "pending",
        PollEnd::Ready => "ready",
        PollEnd::Cancelled => "cancelled",
        PollEnd::Panicked => "panicked",
        _ => "other",
    }
}

/// Readiness names joined by `|`, as `IoEvents`' `Display` (by hand: see [`number`]).
pub(super) fn io_events(out: &mut Vec<u8>, events: IoEvents) {
    const NAMES: [(IoEvents, &[u8]); 6] = [
        (IoEvents::READABLE, b"readable"),
        (IoEvents::WRITABLE, b"writable"),
        (IoEvents::READ_CLOSED, b"read-closed"),
        (IoEvents::WRITE_CLOSED, b"write-closed"),
        (IoEvents::ERROR, b"error"),
        (IoEvents::PRIORITY, b"priority"),
    ];
    let mut first = true;
    for (bit, name) in NAMES {
        if events.contains(bit) {
            if !first {
                out.push(b'|');
            }
            out.extend_from_slice(name);
            first = false;
        }
    }
    if first {
        out.extend_from_slice(b"no event");
    }
}

/// `n` in decimal. By hand: `core::fmt` made formatting most of a traced poll's cost
/// (callgrind: ~5 800 instructions per yield, of ~6 300).
pub(super) fn number(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let start = decimal(&mut digits, n);
    out.extend_from_slice(&digits[start..]);
}

/// Nanoseconds printed as microseconds (the format's unit), to the nanosecond.
pub(super) fn micros(out: &mut Vec<u8>, ns: u64) {
    number(out, ns / 1000);
    let fraction = ns % 1000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ]);
}

/// Writes `n`'s digits at the end of `digits`; returns where they start. Two digits
/// a step, from a table: numbers are most of a trace's text.
fn decimal(digits: &mut [u8; 20], mut n: u64) -> usize {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut i = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    i
}

/// `text` inside a JSON string: quotes, backslashes and control characters escaped.
/// Byte by byte: every byte of a multi-byte UTF-8 character is 0x80 or more, so
/// none is mistaken for one of those.
pub(super) fn escape_inner(out: &mut Vec<u8>, text: &str) {
    let plain = |byte: &u8| *byte >= 0x20 && *byte != b'"' && *byte != b'\\';
    if text.bytes().all(|byte| plain(&byte)) {
        return out.extend_from_slice(text.as_bytes());
    }
    for byte in text.bytes() {
        match byte {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
            byte if byte < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
            }
            byte => out.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_and_control_characters_stay_valid_json() {
        let mut out = Vec::new();
        escape_inner(&mut out, "conn \"12\"\\\n\u{1}é");
        let expected = r#"conn \"12\"\\\n\u0001é"#.replace("\\n", "\\u000a");
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        let mut text = Vec::new();
        micros(&mut text, 1_234_567);
        text.push(b' ');
        micros(&mut text, 5);
        for n in [u64::MAX, 0, 9, 10, 99, 100, 101, 12_345] {
            text.push(b' ');
            number(&mut text, n);
        }
        assert_eq!(text, b"1234.567 0.005 18446744073709551615 0 9 10 99 100 101 12345");
    }
}
