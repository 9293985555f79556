//! Buffered I/O: `read_line`, `Lines`, `Split`, `BufWriter`, `BufReader`,
//! `BufStream`, each scenario run on tokio's io-util too where wakeful claims the
//! same behaviour.
#![cfg(feature = "futures-io")]

mod io_mock;
mod util;

use std::io;
use std::pin::Pin;

use io_mock::{Script, Step};
use util::{next, poll_once, run};
use wakeful::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufStream, BufWriter};
use wakeful::net::UnixStream;

/// An invalid line is consumed and reported as `InvalidData`, the string keeps
/// what it had, and the next line reads fine: as tokio's.
#[test]
fn read_line_with_invalid_utf8_leaves_the_string_unchanged_as_tokio() {
    let data = b"ok\nbad \xff\xfe\nnext\n".to_vec();
    run(async {
        let mut ours = BufReader::with_capacity(3, Script::chunked(&data, 5));
        let mut theirs = tokio::io::BufReader::with_capacity(3, Script::chunked(&data, 5));
        let (mut ours_line, mut theirs_line) = (String::new(), String::new());
        assert_eq!(ours.read_line(&mut ours_line).await?, 3);
        tokio::io::AsyncBufReadExt::read_line(&mut theirs, &mut theirs_line).await?;
        let ours_err = ours.read_line(&mut ours_line).await.unwrap_err();
        let theirs_err =
            tokio::io::AsyncBufReadExt::read_line(&mut theirs, &mut theirs_line).await.unwrap_err();
        assert_eq!(ours_err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(theirs_err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(ours_line, "ok\n", "unchanged by the bad line");
        assert_eq!(theirs_line, ours_line);
        ours.read_line(&mut ours_line).await?;
        tokio::io::AsyncBufReadExt::read_line(&mut theirs, &mut theirs_line).await?;
        assert_eq!(ours_line, "ok\nnext\n");
        assert_eq!(theirs_line, ours_line);
        io::Result::Ok(())
    })
    .unwrap();
}

/// `\r\n` and `\n` are both stripped; a lone `\r` inside a line is kept; the last
/// line needs no newline: as tokio's `Lines`.
#[test]
fn lines_strip_crlf_and_lf_as_tokio() {
    let data = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nmixed\nin\rside\r\nlast".to_vec();
    run(async {
        let mut ours = BufReader::with_capacity(4, Script::chunked(&data, 3)).lines();
        let mut theirs = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::with_capacity(
            4,
            Script::chunked(&data, 3),
        ));
        let mut ours_lines = Vec::new();
        while let Some(line) = ours.next_line().await? {
            ours_lines.push(line);
        }
        let mut theirs_lines = Vec::new();
        while let Some(line) = theirs.next_line().await? {
            theirs_lines.push(line);
        }
        assert_eq!(ours_lines, ["GET / HTTP/1.1", "Host: a", "", "mixed", "in\rside", "last"]);
        assert_eq!(theirs_lines, ours_lines);
        assert_eq!(ours.next_line().await?, None, "still None after the end");
        io::Result::Ok(())
    })
    .unwrap();
}

/// Dropping `next_line` at every `Pending` loses nothing: the partial line stays in
/// `Lines`.
#[test]
fn lines_next_line_dropped_at_each_pending_loses_nothing() {
    let data = b"alpha\r\nbeta\ngamma";
    let mut lines = BufReader::with_capacity(2, Script::chunked(data, 1)).lines();
    let mut got = Vec::new();
    let mut pendings = 0;
    loop {
        // A fresh future for every poll: each one is dropped after one poll.
        let polled = poll_once(&mut Box::pin(lines.next_line()));
        match polled {
            std::task::Poll::Pending => pendings += 1,
            std::task::Poll::Ready(Ok(Some(line))) => got.push(line),
            std::task::Poll::Ready(Ok(None)) => break,
            std::task::Poll::Ready(Err(e)) => panic!("unexpected error {e}"),
        }
        assert!(pendings < 1000, "no progress");
    }
    assert_eq!(got, ["alpha", "beta", "gamma"]);
    assert!(pendings >= data.len() - 1, "it was cancelled at every byte");
}

#[test]
fn lines_is_a_stream_and_reports_bad_utf8_then_goes_on() {
    run(async {
        let (mut a, b) = UnixStream::pair()?;
        a.write_all(b"one\n\xc3\x28\nthree\n").await?;
        drop(a);
        let mut lines = BufReader::new(b).lines();
        assert_eq!(next(&mut lines).await.unwrap()?, "one");
        assert_eq!(next(&mut lines).await.unwrap().unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(next(&mut lines).await.unwrap()?, "three");
        assert!(next(&mut lines).await.is_none());
        let reader = lines.into_inner();
        assert!(reader.buffer().is_empty());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn split_yields_segments_without_the_delimiter_as_tokio() {
    let data = b"a,,bc,d,".to_vec();
    run(async {
        let mut ours = BufReader::with_capacity(2, Script::chunked(&data, 3)).split(b',');
        let mut theirs = tokio::io::AsyncBufReadExt::split(
            tokio::io::BufReader::with_capacity(2, Script::chunked(&data, 3)),
            b',',
        );
        let mut ours_segments = Vec::new();
        while let Some(segment) = ours.next_segment().await? {
            ours_segments.push(segment);
        }
        let mut theirs_segments = Vec::new();
        while let Some(segment) = theirs.next_segment().await? {
            theirs_segments.push(segment);
        }
        assert_eq!(ours_segments, [&b"a"[..], b"", b"bc", b"d"]);
        assert_eq!(theirs_segments, ours_segments);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn split_next_segment_dropped_at_each_pending_loses_nothing() {
    let mut split = BufReader::with_capacity(1, Script::chunked(b"xy\0z", 1)).split(0);
    let mut got = Vec::new();
    for _ in 0..100 {
        match poll_once(&mut Box::pin(split.next_segment())) {
            std::task::Poll::Ready(Ok(Some(segment))) => got.push(segment),
            std::task::Poll::Ready(Ok(None)) => break,
            std::task::Poll::Ready(Err(e)) => panic!("unexpected error {e}"),
            std::task::Poll::Pending => {}
        }
    }
    assert_eq!(got, [b"xy".to_vec(), b"z".to_vec()]);
}

/// A flush that fails midway keeps the unwritten bytes buffered; the next flush
/// writes them, with nothing lost and nothing written twice.
#[test]
fn buf_writer_flush_error_midway_keeps_unwritten_data() {
    run(async {
        let script = Script::writing([Step::Data(vec![0; 3]), Step::Fail(io::ErrorKind::BrokenPipe)]);
        let mut writer = BufWriter::with_capacity(64, script);
        writer.write_all(b"0123456789").await?;
        assert!(writer.get_ref().written.is_empty(), "buffered, not written");
        let err = writer.flush().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(writer.get_ref().written, b"012");
        assert_eq!(writer.buffer(), b"3456789", "the unwritten rest stays");
        writer.write_all(b"AB").await?;
        writer.flush().await?;
        assert_eq!(writer.get_ref().written, b"0123456789AB");
        assert!(writer.buffer().is_empty());
        // The same scenario on tokio's BufWriter.
        let script = Script::writing([Step::Data(vec![0; 3]), Step::Fail(io::ErrorKind::BrokenPipe)]);
        let mut theirs = tokio::io::BufWriter::with_capacity(64, script);
        tokio::io::AsyncWriteExt::write_all(&mut theirs, b"0123456789").await?;
        assert!(tokio::io::AsyncWriteExt::flush(&mut theirs).await.is_err());
        assert_eq!(theirs.buffer(), b"3456789", "tokio keeps the same bytes");
        tokio::io::AsyncWriteExt::flush(&mut theirs).await?;
        assert_eq!(theirs.get_ref().written, b"0123456789");
        io::Result::Ok(())
    })
    .unwrap();
}

/// A flush cancelled at its `Pending` resumes later without repeating bytes.
#[test]
fn buf_writer_flush_dropped_at_pending_resumes() {
    let script = Script::writing([Step::Data(vec![0; 2]), Step::Pending]);
    let mut writer = BufWriter::new(script);
    run(writer.write_all(b"hello")).unwrap();
    assert!(poll_once(&mut Box::pin(writer.flush())).is_pending());
    assert_eq!(writer.buffer(), b"llo");
    run(writer.flush()).unwrap();
    assert_eq!(writer.get_ref().written, b"hello");
}

/// A `BufWriter` around a socket reads too, and `get_mut` reaches the socket.
#[test]
fn buf_writer_passes_reads_through_and_buf_reader_passes_writes_through() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let mut writer = BufWriter::new(a);
        let mut reader = BufReader::new(b);
        writer.write_all(b"request\n").await?;
        writer.flush().await?;
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        assert_eq!(line, "request\n");
        reader.write_all(b"reply").await?; // straight through: BufReader has no write buffer
        let mut reply = [0; 5];
        writer.read_exact(&mut reply).await?;
        assert_eq!(&reply, b"reply");
        // A BufWriter over a buffered reader is a buffered reader.
        let mut both = BufWriter::new(reader);
        writer.write_all(b"x;y").await?;
        writer.flush().await?;
        let mut field = Vec::new();
        both.read_until(b';', &mut field).await?;
        assert_eq!(field, b"x;");
        assert_eq!(both.get_mut().buffer(), b"y", "get_mut reaches the inner reader");
        Pin::new(&mut both).get_pin_mut().get_mut().get_mut().write_all(b"!").await?;
        writer.read_exact(&mut reply[..1]).await?;
        assert_eq!(reply[0], b'!');
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn buf_stream_buffers_both_ways_and_into_inner_returns_the_stream() {
    run(async {
        let (a, mut b) = UnixStream::pair()?;
        let mut stream = BufStream::with_capacity(16, 16, a);
        stream.write_u16(7).await?;
        stream.write_all(b"PING").await?;
        let mut probe = [0; 8];
        assert_eq!(b.try_read(&mut probe).unwrap_err().kind(), io::ErrorKind::WouldBlock, "still buffered");
        stream.flush().await?;
        b.read_exact(&mut probe[..6]).await?;
        assert_eq!(&probe[..6], b"\0\x07PING");
        b.write_all(b"+PONG\r\nrest").await?;
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        assert_eq!(line, "+PONG\r\n");
        stream.get_mut().write_all(b"direct").await?;
        b.read_exact(&mut probe[..6]).await?;
        assert_eq!(&probe[..6], b"direct");
        let inner = stream.into_inner();
        drop(b);
        let mut after = Vec::new();
        let mut inner = inner;
        AsyncReadExt::read_to_end(&mut inner, &mut after).await?;
        assert_eq!(after, b"", "\"rest\" was in the read buffer and is lost, as documented");
        io::Result::Ok(())
    })
    .unwrap();
}
