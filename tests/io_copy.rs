//! `copy`, `copy_buf` and `copy_bidirectional`: every byte both ways, half-closes
//! passed on, flushing while the reader waits, errors; beside tokio's on the same
//! scripts.
#![cfg(feature = "futures-io")]

mod io_mock;
mod util;

use std::io;

use io_mock::{Script, Step};
use util::{pattern, poll_once, run};
use wakeful::io::{copy, copy_bidirectional, copy_buf, AsyncWriteExt, BufReader, BufWriter};
use wakeful::net::UnixStream;
use wakeful::spawn;

/// client ⇄ proxy ⇄ server, where the client half-closes first and the server
/// answers after reading end of stream: the proxy must pass the half-close on and
/// keep copying the other way.
#[test]
fn copy_bidirectional_passes_each_half_close_on_and_copies_both_ways() {
    let reply = pattern(300_000, 3);
    let expected = reply.clone();
    run(async move {
        let (mut client, mut proxy_a) = UnixStream::pair()?;
        let (mut proxy_b, mut server) = UnixStream::pair()?;
        let proxy = spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });
        let server = spawn(async move {
            let mut request = Vec::new();
            server.read_to_end(&mut request).await?; // ends only if the proxy shut b down
            server.write_all(&reply).await?;
            io::Result::Ok(request)
        });
        client.write_all(b"GET everything").await?;
        AsyncWriteExt::shutdown(&mut client).await?;
        let mut received = Vec::new();
        client.read_to_end(&mut received).await?;
        assert_eq!(server.await.unwrap()?, b"GET everything");
        assert!(received == expected, "the whole reply arrived");
        assert_eq!(proxy.await.unwrap()?, (14, 300_000));
        io::Result::Ok(())
    })
    .unwrap();
}

/// The server side ends first while the client still sends: the client reads end
/// of stream, and its later bytes still reach the server.
#[test]
fn copy_bidirectional_server_closing_first_leaves_the_client_direction_open() {
    run(async {
        let (mut client, mut proxy_a) = UnixStream::pair()?;
        let (mut proxy_b, mut server) = UnixStream::pair()?;
        let proxy = spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });
        server.write_all(b"bye").await?;
        AsyncWriteExt::shutdown(&mut server).await?;
        let mut received = Vec::new();
        client.read_to_end(&mut received).await?;
        assert_eq!(received, b"bye");
        client.write_all(b"late data").await?;
        drop(client);
        let mut late = Vec::new();
        server.read_to_end(&mut late).await?;
        assert_eq!(late, b"late data");
        assert_eq!(proxy.await.unwrap()?, (9, 3));
        io::Result::Ok(())
    })
    .unwrap();
}

fn scripts() -> (Script, Script) {
    let mut a = Script::chunked(b"from a, in pieces", 4);
    a.push_write(Step::Data(vec![0; 2]));
    a.push_write(Step::Pending);
    let b = Script::chunked(b"from b", 5);
    (a, b)
}

#[test]
fn copy_bidirectional_on_scripts_matches_tokio() {
    run(async {
        let (mut a, mut b) = scripts();
        let ours = copy_bidirectional(&mut a, &mut b).await?;
        let (mut ta, mut tb) = scripts();
        let theirs = tokio::io::copy_bidirectional(&mut ta, &mut tb).await?;
        assert_eq!(ours, (17, 6));
        assert_eq!(theirs, ours);
        assert_eq!((a.written.as_slice(), b.written.as_slice()), (&b"from b"[..], &b"from a, in pieces"[..]));
        assert_eq!((ta.written, tb.written), (a.written, b.written));
        assert!(a.closed && b.closed && ta.closed && tb.closed, "each writer was shut down");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn copy_bidirectional_returns_the_first_error_as_tokio() {
    let failing = || {
        let mut a = Script::reading([Step::Data(b"ok".to_vec()), Step::Pending]);
        a.push_read(Step::Fail(io::ErrorKind::ConnectionReset));
        (a, Script::reading([Step::Pending, Step::Pending, Step::Pending]))
    };
    let (mut a, mut b) = failing();
    let ours = run(copy_bidirectional(&mut a, &mut b)).unwrap_err();
    let (mut ta, mut tb) = failing();
    let theirs = run(tokio::io::copy_bidirectional(&mut ta, &mut tb)).unwrap_err();
    assert_eq!(ours.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(theirs.kind(), ours.kind());
    assert!(!b.closed && !tb.closed, "no shutdown after an error");
}

/// While the reader waits, `copy` flushes what it wrote, so a `BufWriter` in front
/// of a peer never sits on a complete message.
#[test]
fn copy_flushes_a_buffered_writer_while_the_reader_waits() {
    let mut reader =
        Script::reading([Step::Data(b"abc".to_vec()), Step::Pending, Step::Data(b"def".to_vec())]);
    let mut writer = BufWriter::new(Script::default());
    assert!(poll_once(&mut Box::pin(copy(&mut reader, &mut writer))).is_pending());
    assert_eq!(writer.get_ref().written, b"abc", "flushed at the reader's Pending");
    assert_eq!(run(copy(&mut reader, &mut writer)).unwrap(), 3);
    assert_eq!(writer.get_ref().written, b"abcdef");
}

#[test]
fn copy_buf_writes_through_the_readers_buffer_and_flushes_at_pending() {
    let script = Script::reading([Step::Data(b"abc".to_vec()), Step::Pending, Step::Data(b"def".to_vec())]);
    let mut reader = BufReader::with_capacity(2, script);
    let mut writer = BufWriter::new(Script::writing([Step::Pending]));
    let mut finished = false;
    for _ in 0..100 {
        // A fresh call each time, dropped after one poll.
        let polled = poll_once(&mut Box::pin(copy_buf(&mut reader, &mut writer)));
        if let std::task::Poll::Ready(result) = polled {
            result.unwrap();
            finished = true;
            break;
        }
    }
    assert!(finished, "no progress");
    assert_eq!(writer.get_ref().written, b"abcdef", "nothing lost across cancelled calls");
    // And beside tokio's, on a plain run.
    let script = || Script::chunked(b"0123456789", 3);
    let mut ours = Script::default();
    let n = run(copy_buf(&mut BufReader::with_capacity(4, script()), &mut ours)).unwrap();
    let mut theirs = Script::default();
    let m =
        run(tokio::io::copy_buf(&mut tokio::io::BufReader::with_capacity(4, script()), &mut theirs)).unwrap();
    assert_eq!((n, ours.written.as_slice()), (m, theirs.written.as_slice()));
    assert_eq!(n, 10);
}

#[test]
fn copy_to_a_writer_that_accepts_nothing_is_write_zero() {
    let mut reader = Script::reading([Step::Data(b"abc".to_vec())]);
    let mut writer = Script::writing([Step::Data(Vec::new())]);
    assert_eq!(run(copy(&mut reader, &mut writer)).unwrap_err().kind(), io::ErrorKind::WriteZero);
}
