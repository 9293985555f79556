//! The commands: each request's arguments checked, applied to the `Db`, and its reply
//! appended to the output. No I/O and no runtime: shared, word for word, by
//! `examples/kv` and its tokio twin. `SUBSCRIBE` is only recognized here: the
//! subscribed mode (`subscriber.rs`) waits on channels, which needs the runtime.

use std::time::{Duration, Instant};

use super::db::{Db, SetCondition};
use super::resp::Reply;

/// What the connection does after a request.
pub enum Action {
    /// The reply is in the output: read the next request.
    Next,
    /// Enter the subscribed mode on these channels.
    Subscribe(Vec<Vec<u8>>),
}

/// Applies one request (`args[0]` is the command name, any case).
pub fn apply(db: &Db, args: &[Vec<u8>], out: &mut Vec<u8>) -> Action {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let args = &args[1..];
    let arity_ok = match name.as_str() {
        "ping" => args.len() <= 1,
        "echo" | "get" => args.len() == 1,
        "set" => args.len() >= 2,
        "del" | "exists" | "subscribe" => !args.is_empty(),
        "publish" => args.len() == 2,
        "unsubscribe" | "config" | "command" => true,
        _ => {
            let shown = String::from_utf8_lossy(&args.concat()).chars().take(64).collect::<String>();
            Reply::error(out, &format!("ERR unknown command '{name}', with args beginning with: {shown}"));
            return Action::Next;
        }
    };
    if !arity_ok {
        Reply::error(out, &format!("ERR wrong number of arguments for '{name}' command"));
        return Action::Next;
    }
    match name.as_str() {
        "ping" => match args.first() {
            Some(message) => Reply::bulk(out, message),
            None => Reply::simple(out, "PONG"),
        },
        "echo" => Reply::bulk(out, &args[0]),
        "get" => match db.get(&args[0]) {
            Some(value) => Reply::bulk(out, &value),
            None => Reply::null(out),
        },
        "set" => set(db, args, out),
        "del" => Reply::integer(out, args.iter().filter(|key| db.delete(key)).count() as i64),
        "exists" => Reply::integer(out, args.iter().filter(|key| db.exists(key)).count() as i64),
        "publish" => Reply::integer(out, db.publish(&args[0], &args[1]) as i64),
        "subscribe" => return Action::Subscribe(args.to_vec()),
        // Not subscribed: each channel is acknowledged with a count of 0, as Redis does.
        "unsubscribe" => {
            let channels: Vec<Option<&[u8]>> =
                if args.is_empty() { vec![None] } else { args.iter().map(|c| Some(&c[..])).collect() };
            for channel in channels {
                Reply::array_header(out, 3);
                Reply::bulk(out, b"unsubscribe");
                match channel {
                    Some(channel) => Reply::bulk(out, channel),
                    None => Reply::null(out),
                }
                Reply::integer(out, 0);
            }
        }
        // `CONFIG GET name`, as redis-benchmark asks at start: the name, with no value
        // (`appendonly` is "no": there is no persistence).
        "config" if args.len() == 2 && args[0].eq_ignore_ascii_case(b"get") => {
            Reply::array_header(out, 2);
            Reply::bulk(out, &args[1]);
            Reply::bulk(out, if args[1].eq_ignore_ascii_case(b"appendonly") { b"no" } else { b"" });
        }
        // Other `CONFIG` and `COMMAND` requests (redis-cli's, at start): nothing to say.
        _ => Reply::array_header(out, 0),
    }
    Action::Next
}

/// `SET key value [EX seconds | PX milliseconds] [NX | XX]`
fn set(db: &Db, args: &[Vec<u8>], out: &mut Vec<u8>) {
    let (mut expires, mut condition) = (None, SetCondition::Always);
    let mut options = args[2..].iter();
    while let Some(option) = options.next() {
        let option = String::from_utf8_lossy(option).to_ascii_uppercase();
        match option.as_str() {
            "EX" | "PX" if expires.is_none() => {
                let Some(amount) = options.next() else { return Reply::error(out, "ERR syntax error") };
                let amount = std::str::from_utf8(amount).ok().and_then(|a| a.parse::<i64>().ok());
                let Some(amount) = amount else {
                    return Reply::error(out, "ERR value is not an integer or out of range");
                };
                let ttl = match (amount, option.as_str()) {
                    (n, _) if n <= 0 => None,
                    (n, "EX") => Some(Duration::from_secs(n as u64)),
                    (n, _) => Some(Duration::from_millis(n as u64)),
                };
                // Too far to be an `Instant` is out of range too, as Redis says of it.
                match ttl.and_then(|ttl| Instant::now().checked_add(ttl)) {
                    Some(when) => expires = Some(when),
                    None => return Reply::error(out, "ERR invalid expire time in 'set' command"),
                }
            }
            "NX" if condition == SetCondition::Always => condition = SetCondition::IfAbsent,
            "XX" if condition == SetCondition::Always => condition = SetCondition::IfPresent,
            _ => return Reply::error(out, "ERR syntax error"),
        }
    }
    if db.set(args[0].clone(), args[1].clone(), expires, condition) {
        Reply::simple(out, "OK");
    } else {
        Reply::null(out);
    }
}
