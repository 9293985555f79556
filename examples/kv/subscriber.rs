//! The subscribed mode: after `SUBSCRIBE`, a connection waits on its channels (one
//! stream each, in a `StreamMap` keyed by channel name) and on its client at once,
//! with `select!`. Only `SUBSCRIBE`, `UNSUBSCRIBE` and `PING` are allowed, as in
//! Redis; unsubscribing from the last channel returns to the normal mode.

use std::io;

use wakeful::stream::{BroadcastStream, StreamExt, StreamMap};
use wakeful::sync::broadcast;

use super::connection::Connection;
use super::db::{Db, Message};
use super::resp::Reply;

/// A channel's messages; a subscriber that lagged skips what it missed.
type Messages = std::pin::Pin<Box<dyn wakeful::stream::Stream<Item = Message>>>;

/// How the subscribed mode ended.
pub enum Ended {
    /// Unsubscribed from every channel: back to normal commands.
    Unsubscribed,
    /// The client closed, or a protocol error was answered: the connection is done.
    Closed,
    /// The server is shutting down.
    Shutdown,
}

pub async fn subscribed(
    db: &Db,
    connection: &mut Connection,
    shutdown: &mut broadcast::Receiver<()>,
    first: Vec<Vec<u8>>,
) -> io::Result<Ended> {
    let mut channels: StreamMap<Vec<u8>, Messages> = StreamMap::new();
    subscribe(db, &mut channels, first, &mut connection.out);
    connection.send().await?;
    loop {
        wakeful::select! {
            Some((channel, message)) = channels.next() => {
                message_reply(&mut connection.out, &channel, &message);
                // Written while the channels are still read: a client that does not
                // read would otherwise keep every message published since in the
                // channels' queues. Past the limit it is let go, as Redis does.
                let mut more = Vec::new();
                loop {
                    let flushed = wakeful::select! {
                        flushed = connection.write_or_flush() => flushed?,
                        Some((channel, message)) = channels.next() => {
                            message_reply(&mut more, &channel, &message);
                            if connection.out.len() + more.len() > MAX_UNSENT {
                                return Ok(Ended::Closed);
                            }
                            false
                        }
                    };
                    if flushed {
                        break;
                    }
                    if connection.out.is_empty() {
                        std::mem::swap(&mut connection.out, &mut more);
                    }
                }
            }
            request = connection.read_request() => {
                let args = match request? {
                    None => return Ok(Ended::Closed),
                    Some(Err(err)) => {
                        Reply::error(&mut connection.out, &format!("ERR {err}"));
                        connection.send_now().await?;
                        return Ok(Ended::Closed);
                    }
                    Some(Ok(args)) => args,
                };
                let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
                match name.as_str() {
                    "subscribe" if args.len() > 1 => {
                        subscribe(db, &mut channels, args[1..].to_vec(), &mut connection.out)
                    }
                    "unsubscribe" => unsubscribe(db, &mut channels, &args[1..], &mut connection.out),
                    "ping" if args.len() <= 2 => {
                        Reply::array_header(&mut connection.out, 2);
                        Reply::bulk(&mut connection.out, b"pong");
                        Reply::bulk(&mut connection.out, args.get(1).map_or(&b""[..], |m| &m[..]));
                    }
                    _ => Reply::error(
                        &mut connection.out,
                        &format!("ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
                    ),
                }
                connection.send().await?;
                if channels.is_empty() {
                    return Ok(Ended::Unsubscribed);
                }
            }
            _ = shutdown.recv() => return Ok(Ended::Shutdown),
        }
    }
}

/// The most bytes of messages that may wait for a subscriber that does not read
/// (Redis's pub/sub output limit).
const MAX_UNSENT: usize = 32 << 20;

fn message_reply(out: &mut Vec<u8>, channel: &[u8], message: &[u8]) {
    Reply::array_header(out, 3);
    Reply::bulk(out, b"message");
    Reply::bulk(out, channel);
    Reply::bulk(out, message);
}

/// Channels one connection may listen to. `StreamMap` finds a key through a hash
/// index, so a subscription costs the same however many there are, but each one holds
/// a stream, a broadcast receiver and the channel's name for as long as the
/// connection lives: the cap bounds what one client can make the server keep (and
/// how long one SUBSCRIBE command runs). Redis has no such limit.
const MAX_SUBSCRIPTIONS: usize = 4096;

fn subscribe(db: &Db, channels: &mut StreamMap<Vec<u8>, Messages>, names: Vec<Vec<u8>>, out: &mut Vec<u8>) {
    for name in names {
        if !channels.contains_key(&name) {
            if channels.len() == MAX_SUBSCRIPTIONS {
                Reply::error(out, &format!("ERR at most {MAX_SUBSCRIPTIONS} subscriptions per connection"));
                continue;
            }
            let messages = BroadcastStream::new(db.subscribe(&name)).filter_map(Result::ok);
            channels.insert(name.clone(), Box::pin(messages));
        }
        Reply::array_header(out, 3);
        Reply::bulk(out, b"subscribe");
        Reply::bulk(out, &name);
        Reply::integer(out, channels.len() as i64);
    }
}

/// `UNSUBSCRIBE [channel ...]`: the named channels, or all of them.
fn unsubscribe(db: &Db, channels: &mut StreamMap<Vec<u8>, Messages>, names: &[Vec<u8>], out: &mut Vec<u8>) {
    let names: Vec<Vec<u8>> = match names.is_empty() {
        true => channels.keys().cloned().collect(),
        false => names.to_vec(),
    };
    for name in names {
        if channels.remove(&name).is_some() {
            db.unsubscribed(&name);
        }
        Reply::array_header(out, 3);
        Reply::bulk(out, b"unsubscribe");
        Reply::bulk(out, &name);
        Reply::integer(out, channels.len() as i64);
    }
}
